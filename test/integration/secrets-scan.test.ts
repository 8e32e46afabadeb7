import { historyToJSON } from '@temporalio/common/lib/proto-utils'
import { createServer, type Server } from 'node:http'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { createApp } from '../../api/app'
import { startBackup } from '../../client/backups'
import { startMirror } from '../../client/mirror'
import { createErrorReporter, type ErrorReporter } from '../../observability/error-reporting'
import { createLogger } from '../../observability/logger'
import { PinoTemporalLogger } from '../../worker/temporal-logger'
import { seedSchool, seedUser, type SeededUser } from '../accounts-support'
import { uploadFile } from '../documents-support'
import { freePort } from '../global-setup'
import { startSentryReceiver, waitFor } from '../monitoring-support'
import { createTestBucket, fixture, s3StoreFor } from '../storage-support'
import { createTestApp, testConfig, uniqueName, type TestApp } from '../support'
import { installRuntimeLogger, startHarness, temporalAddressForTests, type TemporalHarness } from '../temporal-support'

// Trust authentication ignores the password, so it can stand in for a real one.
const DATABASE_PASSWORD = 'scan-db-password-4f1e9a'
const LINK_SECRET = 'scan-link-secret-7c2d55aa0b1e4f-0123456789'
const WEBHOOK_TOKEN = 'scan-webhook-token-93ab'
const NEW_PASSWORD = 'scan-new-password-b5e0c1'
const WRONG_PASSWORD = 'scan-wrong-password-0d9f'
// Logged on purpose once, to show that the scan finds what reaches the logs.
const CANARY = 'scan-canary-5e8d2f'

describe('secrets scan after a full run', () => {
  const logLines: string[] = []
  const responses: string[] = []
  const taskQueue = uniqueName('secrets_tq')
  let app: TestApp
  let sentry: Awaited<ReturnType<typeof startSentryReceiver>>
  let webhook: Server
  let harness: TemporalHarness
  let http: ReturnType<typeof createApp>
  let reporters: ErrorReporter[]
  let admin: SeededUser
  let logger: ReturnType<typeof createLogger>
  let accountant: SeededUser
  const secrets: Record<string, string> = {}

  beforeAll(async () => {
    app = await createTestApp()
    sentry = await startSentryReceiver()
    // The webhook rejects every alert, so the failure path, which may name the URL, runs.
    webhook = createServer((_request, response) => response.writeHead(400).end('rejected'))
    const webhookPort = await freePort()
    await new Promise<void>((resolve) => webhook.listen(webhookPort, '127.0.0.1', resolve))
    const primary = await createTestBucket()
    const mirror = await createTestBucket()
    const databaseUrl = new URL(app.url)
    databaseUrl.password = DATABASE_PASSWORD
    const config = testConfig({
      LOG_LEVEL: 'debug',
      DATABASE_URL: databaseUrl.toString(),
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      BACKUP_DATABASES: app.name,
      SENTRY_DSN: sentry.dsn,
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${webhookPort}/alerts?token=${WEBHOOK_TOKEN}`,
      STORAGE_PROVIDER: 's3',
      STORAGE_PRIVATE_PROVIDER: 's3',
      STORAGE_LINK_SECRET: LINK_SECRET,
      S3_ENDPOINT: primary.endpoint,
      S3_BUCKET: primary.bucket,
      S3_ACCESS_KEY_ID: primary.accessKeyId,
      S3_SECRET_ACCESS_KEY: primary.secretAccessKey,
    })
    Object.assign(secrets, {
      'database password': DATABASE_PASSWORD,
      'database URL': databaseUrl.toString(),
      'S3 secret key': inject('s3').secretAccessKey,
      'Sentry DSN': sentry.dsn,
      'link secret': LINK_SECRET,
      'webhook token': WEBHOOK_TOKEN,
      'new password': NEW_PASSWORD,
      'wrong password': WRONG_PASSWORD,
      canary: CANARY,
    })

    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''))
        done()
      },
    })
    logger = createLogger({ level: 'debug', name: 'scan', destination: sink })
    installRuntimeLogger(new PinoTemporalLogger(logger))
    reporters = [createErrorReporter({ sentry: config.monitoring.sentry, service: 'api', logger }), createErrorReporter({ sentry: config.monitoring.sentry, service: 'worker', logger })]
    harness = await startHarness(config, app.sql, s3StoreFor(primary), { errorReporter: reporters[1], mirror: s3StoreFor(mirror) })
    http = createApp({ config, sql: app.sql, temporal: async () => harness.client, logger, errorReporter: reporters[0] })
    const schoolId = await seedSchool(app.sql)
    admin = await seedUser(app.sql, schoolId, ['admin'])
    accountant = await seedUser(app.sql, schoolId, ['accountant'])
    secrets['user password'] = admin.password
    secrets['API token'] = admin.token
  })

  afterAll(async () => {
    await harness?.close()
    await sentry?.close()
    await new Promise<void>((resolve) => (webhook ? webhook.close(() => resolve()) : resolve()))
    await app?.cleanup()
  })

  async function call(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await http.request(path, init)
    responses.push(`${init.method ?? 'GET'} ${path} ${response.status} ${JSON.stringify([...response.headers].filter(([name]) => name !== 'set-cookie'))} ${await response.clone().text()}`)
    return response
  }

  const json = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

  it('finds no secret in logs, errors, Sentry events or workflow histories', async () => {
    await call('/api/auth/login', json({ email: accountant.email, password: WRONG_PASSWORD }))
    const login = await http.request('/api/auth/login', json({ email: accountant.email, password: accountant.password }))
    const session = (login.headers.get('set-cookie') ?? '').split(';')[0]!
    secrets['session token'] = session.split('=')[1]!
    await call('/api/auth/me', { headers: { cookie: session } })
    await call('/api/auth/password', json({ currentPassword: WRONG_PASSWORD, newPassword: NEW_PASSWORD }, { cookie: session }))
    await call('/api/auth/password', json({ currentPassword: accountant.password, newPassword: NEW_PASSWORD }, { cookie: session }))
    const created = await http.request(`/api/users/${admin.id}/tokens`, json({ name: 'scan' }, admin.headers))
    const token = ((await created.json()) as { token: string }).token
    secrets['created API token'] = token
    await call('/api/users', { headers: { authorization: `Bearer ${token}` } })
    await call('/api/users', { headers: { authorization: `Bearer ${token}x` } })
    const upload = await uploadFile(http, admin, { category: 'payroll', ownerType: 'school', title: 'payroll', documentDate: '2025-03-01' }, { name: 'payroll.pdf', bytes: fixture('report%20final+v2 #1.pdf') })
    await call(`/api/documents/${upload.body.id as string}/file`, { headers: admin.headers, redirect: 'manual' })
    // A missing table makes a request fail with a 500 that Sentry receives.
    await app.sql`ALTER TABLE guardian RENAME TO guardian_moved_away`
    await call('/api/guardians', { headers: { authorization: `Bearer ${token}`, cookie: session } })
    await app.sql`ALTER TABLE guardian_moved_away RENAME TO guardian`

    await (await startBackup(harness.client, { database: app.name, taskQueue })).result()
    await (await startBackup(harness.client, { database: 'not_an_allowed_database', taskQueue })).result().catch(() => undefined)
    await (await startMirror(harness.client, { taskQueue })).result()
    await harness.client.workflow.execute('mirrorVerifyWorkflow', { taskQueue, workflowId: uniqueName('scan-verify'), args: [{}] })
    await app.sql`UPDATE mirror_run SET ended_at = ended_at - interval '3 hours'`
    await harness.client.workflow.execute('mirrorRpoWorkflow', { taskQueue, workflowId: uniqueName('scan-rpo'), args: [] }).catch(() => undefined)
    logger.info({ value: CANARY }, 'canary for the secrets scan')
    for (const reporter of reporters) await reporter.flush()
    await waitFor(() => (sentry.events.length >= 3 ? true : undefined), 'three Sentry events')

    const histories: string[] = []
    for await (const execution of harness.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      histories.push(historyToJSON(await harness.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory()))
    }
    const sources: Record<string, string[]> = { logs: logLines, 'API responses': responses, 'Sentry events': sentry.events.map((event) => event.raw), 'workflow histories': histories }
    const found: string[] = []
    for (const [source, texts] of Object.entries(sources)) {
      for (const [name, secret] of Object.entries(secrets)) {
        const forms = [secret, encodeURIComponent(secret)]
        const hits = texts.filter((text) => forms.some((form) => text.includes(form)))
        if (hits.length > 0) found.push(`${name} in ${source}: ${hits[0]!.slice(0, 300)}`)
      }
    }

    expect(logLines.length).toBeGreaterThan(20)
    expect(histories.length).toBeGreaterThanOrEqual(5)
    expect(sentry.events.some((event) => event.event.tags?.route === '/api/guardians')).toBe(true)
    expect(found.filter((hit) => hit.startsWith('canary in logs'))).toHaveLength(1)
    expect(found.filter((hit) => !hit.startsWith('canary in logs'))).toEqual([])
  }, 300_000)
})
