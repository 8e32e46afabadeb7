import { Client, Connection } from '@temporalio/client'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import type { CatalogedRoute } from '../../api/route-catalog'
import { reachOf, ROLES, type Permission, type Role } from '../../domain/permissions'
import { createLogger } from '../../observability/logger'
import { seedSchool, seedStaff, seedUser, type SeededUser } from '../accounts-support'
import { endLeftoverDrRun } from '../dr-support'
import { createTestApp, testConfig, uniqueName, type TestApp } from '../support'
import { temporalAddressForTests } from '../temporal-support'

/** Generated requests per route; PROPERTY_RUNS raises it for a longer hunt. */
const RUNS_PER_ROUTE = Number(process.env.PROPERTY_RUNS ?? 150)

// Tables whose rows change on requests that are not writes: sign-in attempts are recorded
// even when they fail, and tokens record when they were last used.
const UNWATCHED_TABLES = new Set(['login_attempt', 'api_token', 'schema_migration'])

type OpenApiDocument = { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: { content?: Record<string, { schema?: { $ref?: string; properties?: Record<string, unknown> } }> } }>>; components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> } }

/** Strings that break naive code: SQL meta-characters, traversal, control and odd Unicode. */
const hostileString = fc.oneof(
  {
    arbitrary: fc.constantFrom("'; DROP TABLE student; --", "' OR '1'='1", '%', '_', '\\', '"', '$1', '../../etc/passwd', '..%2f..%2f', 'a\u0000b', '\u202e', '=cmd|" /C calc"!A0', '+1', '@SUM(1)', ' ', ''),
    weight: 4,
  },
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ minLength: 300, maxLength: 2_000 }),
  fc.uuid().map(String),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10)),
)
const anyValue = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(hostileString, { maxLength: 3 }), fc.dictionary(hostileString, hostileString, { maxKeys: 3 }))
/** Valid bodies of some write routes; one field of each is replaced, to reach the deeper checks. */
const VALID_BODIES: Record<string, () => Record<string, unknown>> = {
  'POST /api/students': () => ({ admissionNumber: `V-${Math.random()}`, firstName: 'Val', lastName: 'Id', birthDate: '2012-01-01', admittedOn: '2024-09-01', address: 'Main St 1' }),
  'POST /api/guardians': () => ({ firstName: 'Gia', lastName: 'Guard', email: 'gia@school.test', phone: '+1 555 0100', address: 'Side St 2' }),
  'POST /api/staff': () => ({ employeeNumber: `E-${Math.random()}`, firstName: 'Sam', lastName: 'Staff', position: 'teacher', department: 'science', hiredOn: '2020-01-01' }),
  'POST /api/academic-years': () => ({ name: `Year ${Math.random()}`, startsOn: '2025-09-01', endsOn: '2026-07-31' }),
  'POST /api/subjects': () => ({ code: `S${Math.floor(Math.random() * 1e6)}`, name: 'Science' }),
  'POST /api/users': () => ({ email: `u${Math.floor(Math.random() * 1e9)}@school.test`, displayName: 'New User', password: 'long enough password', roles: ['office'] }),
}

/** Header values that a client can send: visible ASCII and spaces only. */
const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,60}$/)

describe('API properties', () => {
  let app: TestApp
  let connection: Connection
  let http: ReturnType<typeof createApp>
  let document: OpenApiDocument
  let knownIds: string[] = []
  const users = {} as Record<Role, SeededUser>
  const taskQueue = uniqueName('properties_tq')

  beforeAll(async () => {
    app = await createTestApp()
    connection = await Connection.connect({ address: temporalAddressForTests() })
    const client = new Client({ connection })
    await endLeftoverDrRun(client)
    const config = testConfig({ DATABASE_URL: app.url, TEMPORAL_TASK_QUEUE: taskQueue, STORAGE_PROVIDER: 'local', STORAGE_PRIVATE_PROVIDER: 'local', STORAGE_LOCAL_ROOT: app.storageRoot })
    http = createApp({ config, sql: app.sql, temporal: async () => client, logger: createLogger({ level: 'silent', name: 'api' }) })
    const schoolId = await seedSchool(app.sql)
    const staffId = await seedStaff(app.sql, schoolId, 'P-1')
    for (const role of ROLES) users[role] = await seedUser(app.sql, schoolId, [role], role === 'teacher' ? staffId : null)
    await app.sql`
      INSERT INTO student (school_id, admission_number, first_name, last_name, birth_date, admitted_on)
      VALUES (${schoolId}, 'P-100', 'Prop', 'Erty', '2012-01-01', '2024-09-01')`
    const ids = await app.sql<{ id: string }[]>`
      SELECT id::text AS id FROM student UNION ALL SELECT id::text FROM staff UNION ALL SELECT id::text FROM app_user`
    knownIds = ids.map((row) => row.id)
    document = (await (await http.request('/openapi.json')).json()) as OpenApiDocument
  })

  afterAll(async () => {
    // Generated requests may have started workflows on this file's task queue, which no worker polls.
    const client = new Client({ connection })
    for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) {
      await client.workflow.getHandle(execution.workflowId, execution.runId).terminate('property test ended').catch(() => undefined)
    }
    await connection?.close()
    await app?.cleanup()
  })

  /** Returns a digest of every watched table, to tell whether a request wrote anything. */
  async function databaseDigest(): Promise<string> {
    const tables = await app.sql<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`
    const parts: string[] = []
    for (const { table_name: table } of tables.filter((entry) => !UNWATCHED_TABLES.has(entry.table_name))) {
      const [row] = await app.sql<{ digest: string | null }[]>`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${app.sql(table)} t`
      parts.push(`${table}:${row?.digest ?? 'empty'}`)
    }
    return parts.join(',')
  }

  /** Returns a user whose role may call the route, so the request reaches validation instead of a 403. */
  function callerFor(route: CatalogedRoute): SeededUser {
    if (route.permission === 'public' || route.permission === 'signed-in') return users.admin
    const role = ROLES.find((candidate) => reachOf([candidate], route.permission as Permission) === 'all') ?? 'admin'
    return users[role]
  }

  /** Returns the field and query names that the OpenAPI document gives the route, which the generators favour. */
  function namesOf(route: CatalogedRoute): { fields: string[]; query: string[] } {
    const operation = document.paths[route.path]?.[route.method.toLowerCase()]
    const query = (operation?.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name)
    const schema = Object.values(operation?.requestBody?.content ?? {})[0]?.schema
    const resolved = schema?.$ref ? document.components?.schemas?.[schema.$ref.split('/').at(-1)!] : schema
    return { fields: Object.keys(resolved?.properties ?? {}), query }
  }

  function requestArbitrary(route: CatalogedRoute) {
    const { fields, query } = namesOf(route)
    const fieldName = fields.length > 0 ? fc.oneof(fc.constantFrom(...fields), hostileString) : hostileString
    const queryName = query.length > 0 ? fc.oneof(fc.constantFrom(...query), fc.string({ maxLength: 12 })) : fc.string({ maxLength: 12 })
    const valid = VALID_BODIES[`${route.method} ${route.path}`]
    const mutated = valid
      ? fc.record({ field: fc.oneof({ arbitrary: fc.constantFrom(...Object.keys(valid())), weight: 4 }, hostileString), value: fc.oneof({ arbitrary: hostileString, weight: 3 }, anyValue) }).map(({ field, value }) => JSON.stringify({ ...valid(), [field]: value }))
      : fc.constant('{}')
    const body = fc.oneof(
      { arbitrary: mutated, weight: valid ? 3 : 1 },
      fc.dictionary(fieldName, anyValue, { maxKeys: 6 }).map((value) => JSON.stringify(value)),
      fc.json().map(String),
      fc.string({ maxLength: 200 }),
      fc.constant(''),
    )
    const pathId = fc.oneof(fc.constantFrom(...knownIds), fc.uuid().map(String), hostileString.filter((value) => value.length > 0 && !value.includes('/') && !value.includes('?') && !value.includes('#')))
    const headers = fc.record(
      {
        'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/csv', 'application/json; charset=latin1'),
        'if-match': fc.oneof(headerValue, fc.constant('*'), fc.constant('"1"')),
        'x-request-id': headerValue,
        'accept-language': headerValue,
      },
      { requiredKeys: ['content-type'] },
    )
    return fc.record({ body, pathId, query: fc.dictionary(queryName, hostileString, { maxKeys: 4 }), headers })
  }

  it('answers generated requests with no 5xx and no write when rejected', async () => {
    const failures: string[] = []
    const routes = http.catalog.routes.filter((route) => route.path.startsWith('/api/'))
    let requests = 0

    for (const route of routes) {
      const caller = callerFor(route)
      await fc.assert(
        fc.asyncProperty(requestArbitrary(route), async (generated) => {
          const path = route.path.replace(/\{[^}]+\}/g, encodeURIComponent(generated.pathId))
          const search = new URLSearchParams(generated.query).toString()
          const writes = route.method !== 'GET'
          const before = writes ? await databaseDigest() : ''
          const response = await http.request(`${path}${search ? `?${search}` : ''}`, {
            method: route.method,
            headers: { ...generated.headers, ...caller.headers },
            body: route.method === 'GET' || route.method === 'DELETE' ? undefined : generated.body,
          })
          requests++
          const text = await response.text()
          if (response.status >= 500) throw new Error(`${route.method} ${path}: ${response.status} ${text.slice(0, 200)}`)
          if (writes && response.status >= 400 && (await databaseDigest()) !== before) throw new Error(`${route.method} ${path}: ${response.status} yet the database changed`)
        }),
        { numRuns: RUNS_PER_ROUTE, seed: 20261204, endOnFailure: true },
      ).catch((error: unknown) => failures.push(`${route.method} ${route.path}: ${(error as Error).message.split('\n').slice(0, 6).join(' ')}`))
    }
    console.log(`generated ${requests} requests over ${routes.length} routes`)

    expect(failures).toEqual([])
  }, 600_000)
})
