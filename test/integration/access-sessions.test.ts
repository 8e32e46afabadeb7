import { Client, Connection } from '@temporalio/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { listenForAuthChanges, type PrincipalCache } from '../../api/principal-cache'
import { DOCUMENT_CATEGORIES, documentPermission, type DocumentCategory } from '../../domain/documents'
import { reachOf, ROLES, type Role } from '../../domain/permissions'
import { createLogger } from '../../observability/logger'
import { seedSchool, seedStaff, seedUser, type SeededUser } from '../accounts-support'
import { uploadFile, LINK_SECRET } from '../documents-support'
import { createTestBucket, fixture, s3StoreFor } from '../storage-support'
import { createTestApp, testConfig, uniqueName, type TestApp } from '../support'
import { temporalAddressForTests } from '../temporal-support'

const PDF = 'report%20final+v2 #1.pdf'
const PHOTO = 'Sunset by the Pier.jpg'
const PHOTO_CATEGORIES: DocumentCategory[] = ['branding', 'student-photo', 'staff-photo']

type Http = ReturnType<typeof createApp>
type School = { id: string; users: Record<Role, SeededUser>; documents: Map<DocumentCategory, string>; ids: string[] }

describe('access across roles, schools and sessions', () => {
  let app: TestApp
  let connection: Connection
  let http: Http
  let cache: { cache: PrincipalCache; stop: () => Promise<void> }
  const schools: School[] = []

  async function seedSchoolWithUsers(): Promise<School> {
    const id = await seedSchool(app.sql)
    const staffId = await seedStaff(app.sql, id, `T-${uniqueName('s')}`)
    const users = {} as Record<Role, SeededUser>
    for (const role of ROLES) users[role] = await seedUser(app.sql, id, [role], role === 'teacher' ? staffId : null)
    const [student] = await app.sql<{ id: string }[]>`
      INSERT INTO student (school_id, admission_number, first_name, last_name, birth_date, admitted_on)
      VALUES (${id}, 'A-1', 'Ada', 'Pupil', '2012-01-01', '2024-09-01') RETURNING id`
    const owners: Partial<Record<DocumentCategory, Record<string, string>>> = {
      'staff-photo': { ownerType: 'staff', ownerId: staffId },
      'student-photo': { ownerType: 'student', ownerId: student!.id },
      'report-card': { ownerType: 'student', ownerId: student!.id },
    }
    const documents = new Map<DocumentCategory, string>()
    for (const category of DOCUMENT_CATEGORIES) {
      const name = PHOTO_CATEGORIES.includes(category) ? PHOTO : PDF
      const owner = owners[category] ?? { ownerType: 'school' }
      const upload = await uploadFile(http, users.admin, { category, title: `${category} file`, documentDate: '2025-03-01', ...owner }, { name, bytes: fixture(name) })
      expect(upload.status, `${category} upload`).toBe(201)
      documents.set(category, upload.body.id as string)
    }
    return { id, users, documents, ids: [] }
  }

  beforeAll(async () => {
    app = await createTestApp()
    connection = await Connection.connect({ address: temporalAddressForTests() })
    const client = new Client({ connection })
    const config = testConfig({
      DATABASE_URL: app.url,
      TEMPORAL_TASK_QUEUE: uniqueName('access_sessions_tq'),
      STORAGE_PROVIDER: 'local',
      STORAGE_PRIVATE_PROVIDER: 'local',
      STORAGE_LOCAL_ROOT: app.storageRoot,
      STORAGE_LINK_SECRET: LINK_SECRET,
    })
    cache = await listenForAuthChanges(app.sql, createLogger({ level: 'silent', name: 'api' }))
    http = createApp({ config, sql: app.sql, temporal: async () => client, logger: createLogger({ level: 'silent', name: 'api' }), principalCache: cache.cache })
    schools.push(await seedSchoolWithUsers(), await seedSchoolWithUsers())

    // Every row id of the first school, from each table that has a school_id column.
    const tables = await app.sql<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.columns WHERE column_name = 'school_id' AND table_schema = 'public'`
    for (const { table_name: table } of tables) {
      const rows = await app.sql<{ id: string }[]>`SELECT id::text AS id FROM ${app.sql(table)} WHERE school_id = ${schools[0]!.id}`.catch(() => [])
      schools[0]!.ids.push(...rows.map((row) => row.id).filter((id) => /^[0-9a-f-]{36}$/.test(id)))
    }
  })

  afterAll(async () => {
    await cache?.stop()
    await connection?.close()
    await app?.cleanup()
  })

  it('downloads each category only for roles that may read it', async () => {
    const mismatches: string[] = []
    const [own, other] = schools as [School, School]

    for (const [category, id] of own.documents) {
      for (const role of ROLES) {
        const ownResponse = await http.request(`/api/documents/${id}/file`, { headers: own.users[role].headers, redirect: 'manual' })
        const otherResponse = await http.request(`/api/documents/${id}/file`, { headers: other.users[role].headers, redirect: 'manual' })
        // A teacher reads documents of their own sections only, and these belong to the school.
        const allowed = reachOf([role], documentPermission(category, 'read')) === 'all'
        const served = ownResponse.status === 200 || ownResponse.status === 302
        if (allowed !== served) mismatches.push(`${role} ${category}: ${ownResponse.status}, allowed ${allowed}`)
        if (![403, 404].includes(otherResponse.status)) mismatches.push(`${role} of another school ${category}: ${otherResponse.status}`)
        if (ownResponse.status === 302) {
          const link = new URL(ownResponse.headers.get('location')!)
          const fetched = await http.request(`${link.pathname}${link.search}`)
          if (fetched.status !== 200) mismatches.push(`${role} ${category}: signed link answered ${fetched.status}`)
        }
      }
    }

    expect(mismatches).toEqual([])
  })

  it('rejects a signed link moved to another key', async () => {
    const [own, other] = schools as [School, School]
    const response = await http.request(`/api/documents/${own.documents.get('payroll')}/file`, { headers: own.users.accountant.headers, redirect: 'manual' })
    const link = new URL(response.headers.get('location')!)
    const [row] = await app.sql<{ storage_key: string }[]>`SELECT storage_key FROM document WHERE id = ${other.documents.get('payroll')!}`
    const moved = new URL(link)
    moved.searchParams.set('key', row!.storage_key)

    const original = await http.request(`${link.pathname}${link.search}`)
    const rejected = await http.request(`${moved.pathname}${moved.search}`)

    expect(original.status).toBe(200)
    expect(rejected.status).toBe(403)
  })

  it('shows no row of another school on any read route', async () => {
    const [own, other] = schools as [School, School]
    const leaks: string[] = []
    const reads = http.catalog.routes.filter((route) => route.method === 'GET' && route.path.startsWith('/api/'))

    for (const route of reads) {
      const paths = route.path.includes('{') ? own.ids.map((id) => route.path.replace(/\{[^}]+\}/, id)) : [route.path]
      for (const path of paths) {
        for (const role of ROLES) {
          const response = await http.request(path, { headers: other.users[role].headers })
          const body = await response.text()
          if (route.path.includes('{') && response.status === 200) leaks.push(`${role} ${path}: 200`)
          // An error may repeat the id of the requested path. Any other id would be a leak.
          const leaked = own.ids.filter((id) => !path.includes(id) && body.includes(id))
          if (leaked.length > 0) leaks.push(`${role} ${path}: shows ${leaked.length} ids of another school`)
        }
      }
    }

    expect(own.ids.length).toBeGreaterThan(15)
    expect(leaks).toEqual([])
  })

  it('ends every session when the password changes', async () => {
    const user = schools[0]!.users.office
    const login = async (password: string) => {
      const response = await http.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password }) })
      return { status: response.status, cookie: (response.headers.get('set-cookie') ?? '').split(';')[0]! }
    }
    const me = async (headers: Record<string, string>) => (await http.request('/api/auth/me', { headers })).status
    const [first, second] = [await login(user.password), await login(user.password)]
    // Reading once through each session puts both into the principal cache.
    const before = [await me({ cookie: first.cookie }), await me({ cookie: second.cookie })]
    const newPassword = 'a brand new passphrase 2026'

    const wrong = await http.request('/api/auth/password', { method: 'POST', headers: { cookie: first.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ currentPassword: 'not it at all', newPassword }) })
    const changed = await http.request('/api/auth/password', { method: 'POST', headers: { cookie: first.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ currentPassword: user.password, newPassword }) })
    const reissued = (changed.headers.get('set-cookie') ?? '').split(';')[0]!
    await waitForCacheClear()

    expect(before).toEqual([200, 200])
    expect(wrong.status).toBe(400)
    expect(((await wrong.json()) as { fields: Record<string, string> }).fields).toHaveProperty('currentPassword')
    expect(changed.status).toBe(204)
    expect(await me({ cookie: first.cookie })).toBe(401)
    expect(await me({ cookie: second.cookie })).toBe(401)
    expect(await me({ cookie: reissued })).toBe(200)
    expect(await me(user.headers)).toBe(200)
    expect((await login(user.password)).status).toBe(401)
    expect((await login(newPassword)).status).toBe(200)
    const audit = await app.sql`SELECT before, after FROM audit_event WHERE action = 'password-change' AND entity_id = ${user.id}`
    expect(audit).toHaveLength(1)
    expect(JSON.stringify(audit)).not.toContain('scrypt')
  })

  it('rejects a password change without a session or with a bad body', async () => {
    const user = schools[0]!.users.teacher
    const post = (headers: Record<string, string>, body: string) => http.request('/api/auth/password', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

    const anonymous = await post({}, JSON.stringify({ currentPassword: user.password, newPassword: 'long enough passphrase' }))
    const short = await post(user.headers, JSON.stringify({ currentPassword: user.password, newPassword: 'short' }))
    const same = await post(user.headers, JSON.stringify({ currentPassword: user.password, newPassword: user.password }))
    const unknown = await post(user.headers, JSON.stringify({ currentPassword: user.password, newPassword: 'long enough passphrase', role: 'admin' }))
    const [row] = await app.sql<{ changed: boolean }[]>`SELECT updated_at <> created_at AS changed FROM app_user WHERE id = ${user.id}`

    expect(anonymous.status).toBe(401)
    expect(short.status).toBe(400)
    expect(((await short.json()) as { fields: Record<string, string> }).fields).toHaveProperty('newPassword')
    expect(same.status).toBe(400)
    expect(unknown.status).toBe(400)
    expect(((await unknown.json()) as { fields: Record<string, string> }).fields).toHaveProperty('role')
    expect(row?.changed).toBe(false)
  })

  it('ends a cached session on logout', async () => {
    const user = schools[1]!.users.admin
    const login = await http.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password }) })
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
    const cached = await http.request('/api/users', { headers: { cookie } })

    await http.request('/api/auth/logout', { method: 'POST', headers: { cookie } })
    await waitForCacheClear()
    const after = await http.request('/api/users', { headers: { cookie } })

    expect(cached.status).toBe(200)
    expect(after.status).toBe(401)
  })

  /** Waits until the auth change notification has emptied the cache, which takes milliseconds. */
  async function waitForCacheClear(): Promise<void> {
    for (let tries = 0; tries < 100 && cache.cache.size > 0; tries++) await new Promise((resolve) => setTimeout(resolve, 20))
  }
})

describe('S3 signed URLs', () => {
  it('expire, bind their key and reject tampering', async () => {
    const store = s3StoreFor(await createTestBucket())
    const { Readable } = await import('node:stream')
    await store.put('documents/a/payroll.pdf', Readable.from([Buffer.from('payroll of A')]))
    await store.put('documents/b/payroll.pdf', Readable.from([Buffer.from('payroll of B')]))
    const url = new URL(await store.signedUrl('documents/a/payroll.pdf', { expiresInSeconds: 60 }))
    const short = await store.signedUrl('documents/a/payroll.pdf', { expiresInSeconds: 1 })
    const otherKey = new URL(url)
    otherKey.pathname = otherKey.pathname.replace('/a/', '/b/')
    const tampered = new URL(url)
    tampered.searchParams.set('X-Amz-Expires', '604800')

    const fresh = await fetch(url)
    await new Promise((resolve) => setTimeout(resolve, 2_500))

    expect(fresh.status).toBe(200)
    expect(await fresh.text()).toBe('payroll of A')
    expect((await fetch(otherKey)).status).toBe(403)
    expect((await fetch(tampered)).status).toBe(403)
    expect((await fetch(short)).status).toBe(403)
  })
})
