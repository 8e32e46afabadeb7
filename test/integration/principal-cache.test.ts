import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { listenForAuthChanges, PrincipalCache } from '../../api/principal-cache'
import type { UserAccount } from '../../data/accounts'
import { createLogger } from '../../observability/logger'
import { seedSchool, seedUser, type SeededUser } from '../accounts-support'
import { createTestApp, testConfig, type TestApp } from '../support'

const ACCOUNT: UserAccount = { id: 'u1', schoolId: 's1', email: 'a@school.test', displayName: 'A', passwordHash: 'x', roles: ['office'], staffId: null, disabled: false }

describe('PrincipalCache', () => {
  it('drops a lookup that raced a clear', () => {
    const cache = new PrincipalCache()
    const generation = cache.generation

    cache.clear()
    cache.set('token:a', ACCOUNT, generation)

    expect(cache.get('token:a')).toBeUndefined()
  })

  it('ends an entry with its session', () => {
    const cache = new PrincipalCache(30_000)
    cache.set('session:a', ACCOUNT, cache.generation, 1_000, 0)

    expect(cache.get('session:a', 999)).toBe(ACCOUNT)
    expect(cache.get('session:a', 1_000)).toBeUndefined()
  })

  it('starts over when full', () => {
    const cache = new PrincipalCache(30_000, 2)
    cache.set('token:a', ACCOUNT, cache.generation)
    cache.set('token:b', ACCOUNT, cache.generation)
    cache.set('token:c', ACCOUNT, cache.generation)

    expect(cache.size).toBe(1)
    expect(cache.get('token:c')).toBe(ACCOUNT)
  })
})

describe('cached authentication', () => {
  let app: TestApp
  let http: ReturnType<typeof createApp>
  let principals: Awaited<ReturnType<typeof listenForAuthChanges>>
  let admin: SeededUser
  let office: SeededUser

  beforeAll(async () => {
    app = await createTestApp()
    const logger = createLogger({ level: 'silent', name: 'api' })
    principals = await listenForAuthChanges(app.sql, logger)
    const config = testConfig({ DATABASE_URL: app.url })
    http = createApp({ config, sql: app.sql, temporal: () => Promise.reject(new Error('no Temporal here')), logger, principalCache: principals.cache })
    const schoolId = await seedSchool(app.sql)
    admin = await seedUser(app.sql, schoolId, ['admin'])
    office = await seedUser(app.sql, schoolId, ['office'])
  })

  afterAll(async () => {
    await principals?.stop()
    await app?.cleanup()
  })

  /** Waits until a notification has emptied the cache. */
  async function cacheCleared(): Promise<void> {
    for (let tries = 0; tries < 100 && principals.cache.size > 0; tries++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(principals.cache.size).toBe(0)
  }

  const as = (user: { headers: Record<string, string> }, path: string, init: RequestInit = {}) =>
    http.request(path, { ...init, headers: { ...user.headers, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } })

  it('caches a token after its first use', async () => {
    principals.cache.clear()

    const first = await as(office, '/api/auth/me')
    const unknown = await as({ headers: { authorization: 'Bearer sot_not-a-real-token' } }, '/api/auth/me')

    expect(first.status).toBe(200)
    expect(unknown.status).toBe(401)
    expect(principals.cache.size).toBe(1)
  })

  it('rejects a revoked token at once', async () => {
    const created = await as(admin, `/api/users/${office.id}/tokens`, { method: 'POST', body: JSON.stringify({ name: 'script' }) })
    const { id, token } = (await created.json()) as { id: string; token: string }
    const script = { headers: { authorization: `Bearer ${token}` } }
    const before = await as(script, '/api/auth/me')

    const revoked = await as(admin, `/api/tokens/${id}`, { method: 'DELETE' })
    await cacheCleared()
    const after = await as(script, '/api/auth/me')

    expect(before.status).toBe(200)
    expect(revoked.status).toBe(204)
    expect(after.status).toBe(401)
  })

  it('applies a role change to the next request', async () => {
    const user = await seedUser(app.sql, (await app.sql<{ id: string }[]>`SELECT id FROM school LIMIT 1`)[0]!.id, ['admin'])
    const before = await as(user, '/api/users')

    await app.sql`UPDATE app_user SET roles = ${['office']} WHERE id = ${user.id}`
    await cacheCleared()
    const after = await as(user, '/api/users')

    expect(before.status).toBe(200)
    expect(after.status).toBe(403)
  })

  it('ends access of a disabled user', async () => {
    const before = await as(office, '/api/auth/me')

    await app.sql`UPDATE app_user SET disabled = true WHERE id = ${office.id}`
    await cacheCleared()
    const after = await as(office, '/api/auth/me')

    expect(before.status).toBe(200)
    expect(after.status).toBe(401)
  })

  it('ends a cached session on logout', async () => {
    const login = await http.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: admin.email, password: admin.password }),
    })
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
    const session = { headers: { cookie } }
    const before = await as(session, '/api/auth/me')

    const logout = await as(session, '/api/auth/logout', { method: 'POST' })
    await cacheCleared()
    const after = await as(session, '/api/auth/me')

    expect(before.status).toBe(200)
    expect(logout.status).toBe(204)
    expect(after.status).toBe(401)
  })
})
