import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { createLogger } from '../../observability/logger'
import { LocalObjectStore } from '../../storage/local'
import { PinoTemporalLogger } from '../../worker/temporal-logger'
import { seedSchool, seedUser, type SeededUser } from '../accounts-support'
import { createTestApp, testConfig, uniqueName, type TestApp } from '../support'
import { installRuntimeLogger, startHarness, temporalAddressForTests, type TemporalHarness } from '../temporal-support'

type LogLine = Record<string, unknown> & { msg?: string; requestId?: string }

describe('structured logs', () => {
  const written: string[] = []
  const destination = { write: (chunk: string) => void written.push(...chunk.split('\n').filter((line) => line !== '')) }
  const apiLogger = createLogger({ level: 'info', name: 'api', destination })
  const workerLogger = createLogger({ level: 'debug', name: 'worker', destination })
  let app: TestApp
  let harness: TemporalHarness
  let http: ReturnType<typeof createApp>
  let ops: SeededUser

  beforeAll(async () => {
    installRuntimeLogger(new PinoTemporalLogger(workerLogger))
    app = await createTestApp()
    const config = testConfig({ DATABASE_URL: app.url, TEMPORAL_ADDRESS: temporalAddressForTests(), TEMPORAL_TASK_QUEUE: uniqueName('logs_tq') })
    harness = await startHarness(config, app.sql, new LocalObjectStore(app.storageRoot))
    http = createApp({ config, sql: app.sql, temporal: async () => harness.client, logger: apiLogger })
    ops = await seedUser(app.sql, await seedSchool(app.sql), ['ops'])
  })

  afterAll(async () => {
    await harness?.close()
    await app?.cleanup()
  })

  const parsedLines = () => written.map((line) => JSON.parse(line) as LogLine)

  it('carries the request id into activities', async () => {
    const response = await http.request('/api/ops/backups', { method: 'POST', headers: { ...ops.headers, 'x-request-id': 'req-e2e-logs' } })
    const { workflowId } = (await response.json()) as { workflowId: string }
    await harness.client.workflow.getHandle(workflowId).result()

    const lines = parsedLines()
    const traced = lines.filter((line) => line.requestId === 'req-e2e-logs')
    const apiLine = traced.find((line) => line.msg === 'request handled')
    const activityLines = traced.filter((line) => typeof line.activityType === 'string')
    const workflowLine = traced.find((line) => line.msg === 'backup completed')

    expect(response.status).toBe(202)
    expect(response.headers.get('x-request-id')).toBe('req-e2e-logs')
    expect(apiLine?.route).toBe('/api/ops/backups')
    expect(apiLine?.status).toBe(202)
    expect(apiLine?.service).toBe('api')
    expect(new Set(activityLines.map((line) => line.activityType))).toEqual(new Set(['prepareBackup', 'dumpDatabase', 'verifyBackup']))
    expect(activityLines.every((line) => line.workflowId === workflowId)).toBe(true)
    expect(activityLines.every((line) => line.service === 'worker')).toBe(true)
    expect(workflowLine?.workflowId).toBe(workflowId)
  })

  it('replaces a missing or invalid request id', async () => {
    const missing = await http.request('/healthz')
    const invalid = await http.request('/healthz', { headers: { 'x-request-id': 'has spaces and "quotes"' } })

    const generated = missing.headers.get('x-request-id')
    const replaced = invalid.headers.get('x-request-id')
    expect(generated).toMatch(/^[\w-]{16,}$/)
    expect(replaced).toMatch(/^[\w-]{16,}$/)
    expect(replaced).not.toBe(generated)
    expect(parsedLines().some((line) => line.msg === 'request handled' && line.requestId === generated)).toBe(true)
  })

  it('writes only JSON lines', () => {
    const unparsable = written.filter((line) => {
      try {
        JSON.parse(line)
        return false
      } catch {
        return true
      }
    })

    expect(written.length).toBeGreaterThan(10)
    expect(unparsable).toEqual([])
  })

  it('redacts secret fields at any of three depths', () => {
    apiLogger.info(
      { password: 'top-secret-1', user: { token: 'top-secret-2' }, request: { headers: { authorization: 'Bearer top-secret-3', cookie: 'top-secret-4' } } },
      'redaction check',
    )

    const line = written.at(-1) ?? ''
    expect(line).toContain('redaction check')
    expect(line).not.toContain('top-secret')
    expect((JSON.parse(line) as { password: string }).password).toBe('[redacted]')
  })
})
