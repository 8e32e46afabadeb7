import { Client, Connection } from '@temporalio/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { insertRunningBackup } from '../../data/backup-catalog'
import { OPS_KIND } from '../../domain/search-attributes'
import { createLogger } from '../../observability/logger'
import { seedSchool, seedUser, type SeededUser } from '../accounts-support'
import { createTestApp, testConfig, uniqueName, type TestApp } from '../support'
import { temporalAddressForTests } from '../temporal-support'

describe('HTTP API', () => {
  let app: TestApp
  let connection: Connection
  let http: ReturnType<typeof createApp>
  let config: ReturnType<typeof testConfig>
  let ops: SeededUser
  let teacher: SeededUser

  beforeAll(async () => {
    app = await createTestApp()
    connection = await Connection.connect({ address: temporalAddressForTests() })
    const client = new Client({ connection })
    config = testConfig({ DATABASE_URL: app.url, TEMPORAL_TASK_QUEUE: uniqueName('api_tq') })
    const schoolId = await seedSchool(app.sql)
    ops = await seedUser(app.sql, schoolId, ['ops'])
    teacher = await seedUser(app.sql, schoolId, ['teacher'])
    http = createApp({ config, sql: app.sql, temporal: async () => client, logger: createLogger({ level: 'silent', name: 'api' }) })
  })

  afterAll(async () => {
    await connection?.close()
    await app?.cleanup()
  })

  const authorized = () => ops.headers

  it('answers healthz', async () => {
    const response = await http.request('/healthz')

    expect(response.status).toBe(200)
  })

  it('reports ready when Postgres and Temporal answer', async () => {
    const response = await http.request('/readyz')

    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } })
  })

  it('reports not ready when Temporal is unreachable', async () => {
    const broken = createApp({
      config,
      sql: app.sql,
      temporal: async () => {
        throw new Error('connection refused')
      },
      logger: createLogger({ level: 'silent', name: 'api' }),
    })

    const response = await broken.request('/readyz')
    const body = (await response.json()) as { checks: Record<string, string> }

    expect(response.status).toBe(503)
    expect(body.checks.database).toBe('ok')
    expect(body.checks.temporal).toBe('unreachable: connection refused')
  })

  it('rejects ops requests without an ops token', async () => {
    const missing = await http.request('/api/ops/backups')
    const wrong = await http.request('/api/ops/backups', { headers: { authorization: 'Bearer not-a-token' } })
    const otherRole = await http.request('/api/ops/backups', { method: 'POST', headers: teacher.headers })

    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer')
    expect(wrong.status).toBe(401)
    expect(otherRole.status).toBe(403)
  })

  it('starts a backup workflow and returns its id', async () => {
    const response = await http.request('/api/ops/backups', { method: 'POST', headers: authorized() })
    const body = (await response.json()) as { workflowId: string }

    expect(response.status).toBe(202)
    expect(body.workflowId).toMatch(new RegExp(`^backup-${app.name}-manual-\\d{4}-\\d{2}-\\d{2}T`))
    const handle = new Client({ connection }).workflow.getHandle(body.workflowId)
    const description = await handle.describe()
    await handle.terminate('test only checks that the workflow started')
    expect(description.taskQueue).toBe(config.temporal.taskQueue)
    expect(description.memo?.requestId).toBe(response.headers.get('x-request-id'))
    expect(description.typedSearchAttributes.get(OPS_KIND)).toBe('backup')
  })

  it('names the invalid field and starts nothing', async () => {
    const badName = await http.request('/api/ops/backups', { method: 'POST', headers: authorized(), body: JSON.stringify({ database: 'x; drop' }) })
    const unknownField = await http.request('/api/ops/backups', { method: 'POST', headers: authorized(), body: JSON.stringify({ db: 'x' }) })
    const notJson = await http.request('/api/ops/backups', { method: 'POST', headers: authorized(), body: '{' })

    expect(badName.status).toBe(400)
    expect(((await badName.json()) as { fields: Record<string, string> }).fields.database).toContain('database name')
    expect(unknownField.status).toBe(400)
    expect(notJson.status).toBe(400)
  })

  it('rejects a database that is not backed up', async () => {
    const response = await http.request('/api/ops/backups', { method: 'POST', headers: authorized(), body: JSON.stringify({ database: 'other_db' }) })

    expect(response.status).toBe(422)
  })

  it('lists the catalog newest first', async () => {
    const older = { id: uniqueName('older'), startedAt: new Date('2026-01-01T02:00:00Z') }
    const newer = { id: uniqueName('newer'), startedAt: new Date('2026-01-02T02:00:00Z') }
    for (const backup of [older, newer]) {
      await insertRunningBackup(app.sql, { ...backup, workflowId: backup.id, databaseName: 'listing_db', trigger: 'schedule', format: 'custom' })
    }

    const response = await http.request('/api/ops/backups?database=listing_db&limit=10', { headers: authorized() })
    const body = (await response.json()) as { backups: { id: string; status: string; verification: string }[] }

    expect(response.status).toBe(200)
    expect(body.backups.map((backup) => backup.id)).toEqual([newer.id, older.id])
    expect(body.backups[0]?.verification).toBe('pending')
  })

  it('rejects an out-of-range limit', async () => {
    const response = await http.request('/api/ops/backups?limit=5000', { headers: authorized() })

    expect(response.status).toBe(400)
  })

  it('returns JSON 404 for unknown routes', async () => {
    const response = await http.request('/nowhere')

    expect(response.status).toBe(404)
  })
})
