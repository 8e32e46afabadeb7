import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { startBackup } from '../../client/backups'
import { withDatabase } from '../../data/db'
import { createErrorReporter, type ErrorReporter } from '../../observability/error-reporting'
import { createLogger } from '../../observability/logger'
import { LocalObjectStore } from '../../storage/local'
import { seedSchool, seedUser, type SeededUser } from '../accounts-support'
import { startSentryReceiver, waitFor, type ReceivedSentryEvent } from '../monitoring-support'
import { createTestApp, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, type TemporalHarness } from '../temporal-support'

// Trust authentication ignores the password, so it can stand in for a real secret that must
// never reach Sentry.
const DATABASE_PASSWORD = 'db-password-that-must-not-leak'

describe('Sentry reporting', () => {
  let app: TestApp
  let sentry: Awaited<ReturnType<typeof startSentryReceiver>>
  let harness: TemporalHarness
  let config: ReturnType<typeof testConfig>
  let admin: SeededUser
  let apiReporter: ErrorReporter
  let workerReporter: ErrorReporter

  beforeAll(async () => {
    app = await createTestApp()
    sentry = await startSentryReceiver()
    const url = new URL(app.url)
    url.password = DATABASE_PASSWORD
    config = testConfig({
      DATABASE_URL: url.toString(),
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: uniqueName('sentry_tq'),
      SENTRY_DSN: sentry.dsn,
      SENTRY_ENVIRONMENT: 'sentry-test',
      SENTRY_RELEASE: 'school-ops@9.9.9-test',
    })
    const logger = createLogger({ level: 'silent', name: 'test' })
    apiReporter = createErrorReporter({ sentry: config.monitoring.sentry, service: 'api', logger })
    workerReporter = createErrorReporter({ sentry: config.monitoring.sentry, service: 'worker', logger })
    harness = await startHarness(config, app.sql, new LocalObjectStore(app.storageRoot), { errorReporter: workerReporter })
    admin = await seedUser(app.sql, await seedSchool(app.sql), ['admin'])
  })

  afterAll(async () => {
    await harness?.close()
    await sentry?.close()
    await app?.cleanup()
  })

  const eventsTagged = (tag: string, value: string) => sentry.events.filter((received) => received.event.tags?.[tag] === value)

  function expectNoSecrets(received: ReceivedSentryEvent, secrets: string[]) {
    for (const secret of secrets) expect(received.raw).not.toContain(secret)
    expect(received.event.request).toBeUndefined()
  }

  it('reports a 500 with request id, route and role', async () => {
    const http = createApp({ config, sql: app.sql, temporal: async () => harness.client, logger: createLogger({ level: 'silent', name: 'api' }), errorReporter: apiReporter })
    // A missing table makes the students query fail with an error no handler expects.
    await app.sql`ALTER TABLE student RENAME TO student_moved_away`

    const response = await http.request('/api/students?q=secret-search-term', {
      headers: { ...admin.headers, 'x-request-id': 'req-sentry-500', cookie: 'school_ops_session=session-cookie-secret' },
    })
    await apiReporter.flush()
    const [received] = await waitFor(() => {
      const found = eventsTagged('requestId', 'req-sentry-500')
      return found.length > 0 ? found : undefined
    }, 'the 500 event')
    await app.sql`ALTER TABLE student_moved_away RENAME TO student`

    expect(response.status).toBe(500)
    expect(received?.event.tags?.route).toBe('/api/students')
    expect(received?.event.tags?.method).toBe('GET')
    expect(received?.event.tags?.userRole).toBe('admin')
    expect(received?.event.tags?.service).toBe('api')
    expect(received?.event.release).toBe('school-ops@9.9.9-test')
    expect(received?.event.environment).toBe('sentry-test')
    expect(received?.event.exception?.values?.at(-1)?.value).toContain('student')
    expectNoSecrets(received!, [admin.token, 'session-cookie-secret', 'secret-search-term', DATABASE_PASSWORD])
  })

  it('reports no 4xx answers', async () => {
    const http = createApp({ config, sql: app.sql, temporal: async () => harness.client, logger: createLogger({ level: 'silent', name: 'api' }), errorReporter: apiReporter })

    const response = await http.request('/api/students', { headers: { 'x-request-id': 'req-sentry-401' } })
    await apiReporter.flush()

    expect(response.status).toBe(401)
    expect(eventsTagged('requestId', 'req-sentry-401')).toEqual([])
  })

  it('reports a failed activity and workflow', async () => {
    const handle = await startBackup(harness.client, { database: 'not_backed_up_db', taskQueue: config.temporal.taskQueue, requestId: 'req-sentry-activity' })

    await expect(handle.result()).rejects.toThrow()
    await workerReporter.flush()
    const activity = await waitFor(() => eventsTagged('activityType', 'prepareBackup')[0], 'the failed activity event')
    const workflow = await waitFor(
      () => eventsTagged('source', 'workflow').find((received) => received.event.tags?.workflowId === handle.workflowId),
      'the failed workflow event',
    )

    expect(activity.event.tags?.workflowId).toBe(handle.workflowId)
    expect(activity.event.tags?.workflowType).toBe('backupWorkflow')
    expect(activity.event.tags?.requestId).toBe('req-sentry-activity')
    expect(activity.event.tags?.service).toBe('worker')
    expect(activity.event.release).toBe('school-ops@9.9.9-test')
    expect(activity.event.environment).toBe('sentry-test')
    expect(activity.event.exception?.values?.at(-1)?.value).toContain('not in BACKUP_DATABASES')
    expect(workflow.event.tags?.workflowType).toBe('backupWorkflow')
    expect(workflow.event.tags?.requestId).toBe('req-sentry-activity')
    expect(workflow.event.exception?.values?.at(-1)?.value).toContain('not in BACKUP_DATABASES')
    expectNoSecrets(activity, [DATABASE_PASSWORD, withDatabase(config.database.url, 'postgres')])
    expectNoSecrets(workflow, [DATABASE_PASSWORD])
  })
})
