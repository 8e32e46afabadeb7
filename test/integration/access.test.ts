import { Client, Connection } from '@temporalio/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { hashPassword } from '../../auth/passwords'
import { bootstrapAdmin } from '../../data/bootstrap'
import { reachOf, ROLES, type Permission, type Role } from '../../domain/permissions'
import { createLogger } from '../../observability/logger'
import { seedSchool, seedStaff, seedUser, type SeededUser } from '../accounts-support'
import { createTestApp, testConfig, uniqueName, type TestApp } from '../support'
import { temporalAddressForTests } from '../temporal-support'

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'

describe('access control', () => {
  let app: TestApp
  let connection: Connection
  let http: ReturnType<typeof createApp>
  const users = {} as Record<Role, SeededUser>

  beforeAll(async () => {
    app = await createTestApp()
    connection = await Connection.connect({ address: temporalAddressForTests() })
    const client = new Client({ connection })
    const config = testConfig({ DATABASE_URL: app.url, TEMPORAL_TASK_QUEUE: uniqueName('access_tq'), LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' })
    http = createApp({ config, sql: app.sql, temporal: async () => client, logger: createLogger({ level: 'silent', name: 'api' }) })

    const schoolId = await seedSchool(app.sql)
    const staffId = await seedStaff(app.sql, schoolId, 'T-9')
    for (const role of ROLES) users[role] = await seedUser(app.sql, schoolId, [role], role === 'teacher' ? staffId : null)
  })

  afterAll(async () => {
    await connection?.close()
    await app?.cleanup()
  })

  it('lists every OpenAPI route in the route catalog', async () => {
    const document = (await (await http.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> }
    const cataloged = new Set(http.catalog.routes.map((route) => `${route.method} ${route.path}`))

    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))

    expect(documented.length).toBeGreaterThan(40)
    expect(documented.filter((route) => !cataloged.has(route))).toEqual([])
  })

  it('documents every API route in OpenAPI', async () => {
    const document = (await (await http.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> }
    const documented = new Set(Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)))

    const missing = http.catalog.routes.map((route) => `${route.method} ${route.path}`).filter((route) => route.includes(' /api/') && !documented.has(route))

    expect(missing).toEqual([])
  })

  it('answers every route for every role as the matrix says', async () => {
    const mismatches: string[] = []

    for (const route of http.catalog.routes) {
      const path = route.path.replace(/\{[^}]+\}/g, UNKNOWN_ID)
      for (const role of ROLES) {
        const response = await http.request(path, {
          method: route.method,
          headers: { ...users[role].headers, 'content-type': 'application/json' },
          // An empty body fails validation after the permission check, so nothing is written.
          body: ['POST', 'PATCH'].includes(route.method) ? '{}' : undefined,
        })
        const allowed = route.permission === 'public' || route.permission === 'signed-in' || reachOf([role], route.permission as Permission) !== null
        const refused = response.status === 403
        if (route.permission !== 'signed-in' && allowed === refused) {
          mismatches.push(`${role} ${route.method} ${route.path}: ${response.status}, matrix says ${allowed ? 'allowed' : 'refused'}`)
        }
        if (response.status === 401 || response.status >= 500) mismatches.push(`${role} ${route.method} ${route.path}: ${response.status}`)
      }
    }

    expect(mismatches).toEqual([])
  })

  it('rejects every non-public route without credentials', async () => {
    const open: string[] = []

    for (const route of http.catalog.routes.filter((entry) => entry.permission !== 'public')) {
      const response = await http.request(route.path.replace(/\{[^}]+\}/g, UNKNOWN_ID), { method: route.method })
      if (response.status !== 401) open.push(`${route.method} ${route.path}: ${response.status}`)
    }

    expect(open).toEqual([])
  })

  it('records when an API token was last used', async () => {
    await app.sql`UPDATE api_token SET last_used_at = NULL WHERE user_id = ${users.ops.id}`

    const response = await http.request('/api/auth/me', { headers: users.ops.headers })
    const [token] = await app.sql<{ last_used_at: Date | null }[]>`SELECT last_used_at FROM api_token WHERE user_id = ${users.ops.id}`

    expect(response.status).toBe(200)
    expect(token?.last_used_at).toBeInstanceOf(Date)
  })

  it('signs in with a cookie and signs out', async () => {
    const login = await http.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: users.office.email, password: users.office.password }),
    })
    const cookie = login.headers.get('set-cookie') ?? ''
    const session = cookie.split(';')[0]!

    const me = await http.request('/api/auth/me', { headers: { cookie: session } })
    const logout = await http.request('/api/auth/logout', { method: 'POST', headers: { cookie: session } })
    const afterLogout = await http.request('/api/auth/me', { headers: { cookie: session } })

    expect(login.status).toBe(200)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    expect(((await me.json()) as { roles: string[] }).roles).toEqual(['office'])
    expect(logout.status).toBe(204)
    expect(afterLogout.status).toBe(401)
  })

  it('limits failed logins per account', async () => {
    const attempt = (password: string) =>
      http.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: users.accountant.email, password }) })

    const failures = [await attempt('wrong-1'), await attempt('wrong-2'), await attempt('wrong-3')]
    const blocked = await attempt(users.accountant.password)

    expect(failures.map((response) => response.status)).toEqual([401, 401, 401])
    expect(blocked.status).toBe(429)
    expect(blocked.headers.get('retry-after')).toBe('900')
  })

  it('answers an unknown email like a wrong password', async () => {
    const response = await http.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'nobody@school.test', password: 'whatever-it-is' }) })

    expect(response.status).toBe(401)
    expect(((await response.json()) as { error: string }).error).toBe('wrong email or password')
  })

  it('revokes an API token', async () => {
    const created = await http.request(`/api/users/${users.ops.id}/tokens`, { method: 'POST', headers: { ...users.admin.headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'cron' }) })
    const { id, token } = (await created.json()) as { id: string; token: string }

    const before = await http.request('/api/ops/backups', { headers: { authorization: `Bearer ${token}` } })
    const revoke = await http.request(`/api/tokens/${id}`, { method: 'DELETE', headers: users.admin.headers })
    const after = await http.request('/api/ops/backups', { headers: { authorization: `Bearer ${token}` } })

    expect(created.status).toBe(201)
    expect(before.status).toBe(200)
    expect(revoke.status).toBe(204)
    expect(after.status).toBe(401)
  })

  it('creates the first admin only once', async () => {
    const passwordHash = await hashPassword('bootstrap-password-1')

    const first = await bootstrapAdmin(app.sql, { email: 'first@school.test', passwordHash, schoolName: 'Bootstrap School' })

    // Users already exist in this database, so nothing is created.
    expect(first).toBeNull()
  })

  it('shows the ops status to ops, oncall and admin only', async () => {
    const cataloged = http.catalog.routes.find((route) => route.method === 'GET' && route.path === '/api/ops/status')
    const statuses: Record<string, number> = {}

    for (const role of ROLES) statuses[role] = (await http.request('/api/ops/status', { headers: users[role].headers })).status

    expect(cataloged?.permission).toBe('ops-status:read')
    expect(statuses).toEqual({ admin: 200, office: 403, teacher: 403, accountant: 403, ops: 200, oncall: 200 })
  })

  it('serves the API reference page', async () => {
    const docs = await http.request('/docs')

    expect(docs.status).toBe(200)
    expect(await docs.text()).toContain('/openapi.json')
  })
})
