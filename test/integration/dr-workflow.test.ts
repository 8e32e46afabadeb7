import { historyToJSON } from '@temporalio/common/lib/proto-utils'
import type { temporal } from '@temporalio/proto'
import { Worker } from '@temporalio/worker'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createServer, type Server } from 'node:http'
import { text } from 'node:stream/consumers'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { startBackup } from '../../client/backups'
import { GENERATED_PASSWORD_COST } from '../../auth/passwords'
import { decideDr, drStatus, startDr, DrAlreadyRunningError } from '../../client/dr'
import { connectDatabase } from '../../data/db'
import type { DrReport } from '../../domain/dr'
import { createLogger } from '../../observability/logger'
import { LocalObjectStore } from '../../storage/local'
import { seedSchool, seedUser } from '../accounts-support'
import { endLeftoverDrRun, finishDrRun, TargetApp } from '../dr-support'
import { runOps } from '../cli-support'
import { freePort } from '../global-setup'
import { createTestApp, dropDatabase, FIXTURES, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, workflowBundle, type TemporalHarness } from '../temporal-support'

/** Replays a run's history now and, with RECORD_HISTORIES=1, stores it for the replay test. */
async function recordHistory(name: string, history: temporal.api.history.v1.IHistory): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, name)
  if (process.env.RECORD_HISTORIES === '1') await writeFile(join(FIXTURES, 'histories', `${name}-workflow.json`), historyToJSON(history))
}

describe('DR restore workflow', () => {
  let app: TestApp
  let harness: TemporalHarness
  let storage: LocalObjectStore
  let target: TargetApp
  let hook: Server
  let hookFailures = 0
  let config: ReturnType<typeof testConfig>
  const drillDatabase = uniqueName('dr_target')
  let schoolId: string

  beforeAll(async () => {
    app = await createTestApp()
    storage = new LocalObjectStore(app.storageRoot)
    schoolId = await seedSchool(app.sql)
    await seedUser(app.sql, schoolId, ['admin'])
    await app.sql`
      INSERT INTO student (school_id, admission_number, first_name, last_name, birth_date, admitted_on)
      SELECT ${schoolId}, 'DR-' || i, 'Student', 'Number ' || i, '2012-01-01', '2024-09-01' FROM generate_series(1, 40) i`

    const [targetPort, hookPort] = [await freePort(), await freePort()]
    target = new TargetApp(app.url.replace(app.name, drillDatabase), targetPort)
    hook = createServer((request, response) => {
      void text(request).then(() => {
        if (hookFailures > 0) {
          hookFailures--
          response.writeHead(503).end('deploy system busy')
          return
        }
        target.start()
        response.writeHead(202).end('deploying')
      })
    })
    await new Promise<void>((resolve) => hook.listen(hookPort, '127.0.0.1', resolve))

    config = testConfig({
      DATABASE_URL: app.url,
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: uniqueName('dr_tq'),
      BACKUP_DATABASES: app.name,
      NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:9',
      DR_TARGET_APP_URL: `http://127.0.0.1:${targetPort}`,
      DR_DEPLOY_HOOK_URL: `http://127.0.0.1:${hookPort}/deploy`,
      DR_HEALTH_TIMEOUT_SECONDS: '30',
    })
    harness = await startHarness(config, app.sql, storage)
    await endLeftoverDrRun(harness.client)

    const backup = await startBackup(harness.client, { database: app.name, taskQueue: config.temporal.taskQueue })
    await backup.result()
  })

  afterEach(async () => {
    const report = await drStatus(harness.client)
    if (report && (report.status === 'running' || report.status === 'waiting')) {
      await decideDr(harness.client, { kind: 'abort', by: 'test', reason: 'test finished' }).catch(() => undefined)
    }
    await target.stop()
    target.leakUsers = false
    hookFailures = 0
  })

  afterAll(async () => {
    if (harness) await finishDrRun(harness.client)
    await harness?.close()
    await target?.stop()
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()))
    await dropDatabase(drillDatabase)
    await app?.cleanup()
  })

  async function waitFor(predicate: (report: DrReport) => boolean): Promise<DrReport> {
    // Up to a minute: on a busy 2-core machine a stage can take tens of seconds.
    for (let tries = 0; tries < 600; tries++) {
      const report = await drStatus(harness.client)
      if (report && predicate(report)) return report
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error('the DR run did not reach the expected state')
  }

  const start = (reason: string) =>
    startDr(harness.client, { reason, requestedBy: 'oncall@school.test', targetDatabase: drillDatabase, taskQueue: config.temporal.taskQueue, retryBackoffSeconds: 0 })

  it('restores a lost database and verifies access by role', async () => {
    await dropDatabase(drillDatabase)

    const handle = await start('drill: database lost')
    const report = await handle.result()
    await recordHistory('dr-drill', await handle.fetchHistory())

    expect(report.status).toBe('succeeded')
    expect(report.stages.map((stage) => [stage.stage, stage.status])).toEqual([
      ['identify-failure', 'succeeded'],
      ['provision', 'succeeded'],
      ['deploy', 'succeeded'],
      ['restore', 'succeeded'],
      ['verify', 'succeeded'],
    ])
    expect(report.diagnosis?.failed).toEqual(expect.arrayContaining(['database', 'app']))
    expect(report.stages[4]?.summary).toMatch(/^36 access checks over 6 roles match the permission matrix$/)
    expect(report.backup?.ageHours).toBeLessThan(1)
    expect(report.recoveryTimeMs).toBeGreaterThan(0)
    expect(report.recoveryPoint).toBe(report.backup?.dumpedAt)

    const restored = connectDatabase(app.url.replace(app.name, drillDatabase), { max: 1 })
    try {
      const [students] = await restored<{ n: string }[]>`SELECT count(*) AS n FROM student`
      const [run] = await restored<{ status: string }[]>`SELECT status FROM dr_run WHERE run_id = ${report.runId}`
      const accounts = await restored<{ disabled: boolean; hash: string }[]>`
        SELECT disabled, password_hash AS hash FROM app_user WHERE email LIKE 'dr-verify-%'`
      expect(Number(students?.n)).toBe(40)
      expect(run?.status).toBe('succeeded')
      expect(accounts).toHaveLength(6)
      // The verification passwords are 192 random bits, so their hashes take the generated-password cost.
      for (const account of accounts) {
        expect(account.disabled).toBe(true)
        expect(account.hash.startsWith(`scrypt$${GENERATED_PASSWORD_COST}$`)).toBe(true)
      }
    } finally {
      await restored.end()
    }
    const stored = JSON.parse(await text(await storage.get(`dr-reports/${report.workflowId}.json`))) as DrReport
    expect(stored.status).toBe('succeeded')
  })

  it('records three attempts of a stage retried by on-call', async () => {
    hookFailures = 2
    await dropDatabase(drillDatabase)

    const handle = await start('drill: flaky deploy system')
    const waiting = await waitFor((report) => report.status === 'waiting')
    const answer = await decideDr(harness.client, { kind: 'retry', stage: 'deploy', by: 'oncall@school.test' })
    const report = await handle.result()
    await recordHistory('dr-retried', await handle.fetchHistory())

    expect(waiting.stages[2]?.status).toBe('failed')
    expect(answer).toBe('retry recorded for stage deploy')
    const deploy = report.stages[2]!
    expect(deploy.attempts.map((attempt) => attempt.outcome)).toEqual(['failed', 'failed', 'succeeded'])
    expect(deploy.attempts[0]?.error).toContain('deploy hook answered 503')
    expect(report.status).toBe('succeeded')
  })

  it('records a skipped stage with its reason and asks before replacing a live database', async () => {
    hookFailures = 100
    target.start()

    const handle = await start('drill: deploy done by hand')
    await waitFor((report) => report.status === 'waiting' && report.currentStage === 'deploy')
    const missingReason = await decideDr(harness.client, { kind: 'skip', stage: 'deploy', by: 'oncall@school.test' }).catch((error: Error) => error.message)
    await decideDr(harness.client, { kind: 'skip', stage: 'deploy', by: 'oncall@school.test', reason: 'deployed by hand from the release tag' })
    const asking = await waitFor((report) => report.status === 'waiting' && report.currentStage === 'restore')
    await decideDr(harness.client, { kind: 'approve', stage: 'restore', by: 'oncall@school.test' })
    const report = await handle.result()

    expect(missingReason).toContain('skipping a stage needs a reason')
    expect(report.stages[2]?.status).toBe('skipped')
    expect(report.stages[2]?.note).toBe('skipped by oncall@school.test: deployed by hand from the release tag')
    expect(asking.stages[3]?.note).toContain('still answers: approve to replace it')
    expect(report.status).toBe('succeeded')
  })

  it('allows one run at a time and fails on a role leak', async () => {
    target.start()
    target.leakUsers = true
    const handle = await start('drill: access check')

    const second = await start('a second run').catch((error: unknown) => error)
    await waitFor((report) => report.status === 'waiting' && report.currentStage === 'restore')
    await decideDr(harness.client, { kind: 'approve', stage: 'restore', by: 'oncall@school.test' })
    const report = await handle.result()

    expect(second).toBeInstanceOf(DrAlreadyRunningError)
    expect((second as Error).message).toContain('"drill: access check"')
    expect(report.status).toBe('failed')
    expect(report.stages[4]?.status).toBe('failed')
    expect(report.stages[4]?.attempts[0]?.error).toContain('/api/users answered 200, expected refused')
  })

  it('ends the run on abort without touching the live database', async () => {
    target.start()
    const handle = await start('drill: abort before restore')
    await waitFor((report) => report.status === 'waiting' && report.currentStage === 'restore')

    const answer = await decideDr(harness.client, { kind: 'abort', by: 'oncall@school.test', reason: 'the old server came back' })
    const report = await handle.result()
    const live = connectDatabase(app.url.replace(app.name, drillDatabase), { max: 1 })
    const [run] = await live<{ n: string }[]>`SELECT count(*) AS n FROM dr_run`.finally(() => live.end())

    expect(answer).toBe('abort recorded')
    expect(report.status).toBe('aborted')
    expect(report.alerts).toContain('aborted: the old server came back (by oncall@school.test)')
    expect(report.stages[3]?.status).toBe('failed')
    expect(report.stages[4]?.status).toBe('pending')
    expect(Number(run?.n)).toBeGreaterThan(0)
  })

  it('is driven by on-call from the ops CLI', async () => {
    target.start()
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: app.url,
      NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:9',
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      STORAGE_LOCAL_ROOT: app.storageRoot,
    }

    const missingReason = await runOps(env, ['dr', 'start'])
    const started = await runOps(env, ['dr', 'start', '--reason', 'cli drill', '--target', drillDatabase, '--by', 'oncall@school.test'])
    const badStage = await runOps(env, ['dr', 'approve', 'restroe'])
    const listed = await runOps(env, ['dr', 'status'])
    const approved = await runOps(env, ['dr', 'approve', 'restore', '--by', 'oncall@school.test'])
    await waitFor((report) => report.status === 'succeeded')
    const final = await runOps(env, ['dr', 'status', '--json'])

    expect(missingReason.status).toBe(2)
    expect(missingReason.stderr).toContain('dr start needs --reason TEXT')
    expect(started.status).toBe(0)
    expect(started.stderr).toContain('waiting for on-call at stage restore')
    expect(started.stdout).toMatch(/1\. identify-failure\s+succeeded\s+1/)
    expect(badStage.status).toBe(2)
    expect(badStage.stderr).toContain('stage must be one of identify-failure, provision, deploy, restore, verify')
    expect(listed.stdout).toMatch(/4\. restore\s+waiting/)
    expect(approved.stdout).toContain('approve recorded for stage restore')
    expect((JSON.parse(final.stdout) as DrReport).status).toBe('succeeded')
  })

  it('is driven by on-call through the API', async () => {
    target.start()
    const oncall = await seedUser(app.sql, schoolId, ['oncall'])
    const ops = await seedUser(app.sql, schoolId, ['ops'])
    const api = createApp({ config, sql: app.sql, temporal: async () => harness.client, logger: createLogger({ level: 'silent', name: 'api' }) })
    const post = (path: string, body: object, headers = oncall.headers) =>
      api.request(path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })

    const noReason = await post('/api/ops/dr', { targetDatabase: drillDatabase })
    const byOps = await post('/api/ops/dr', { reason: 'not mine to start' }, ops.headers)
    const started = await post('/api/ops/dr', { reason: 'api drill', targetDatabase: drillDatabase })
    const second = await post('/api/ops/dr', { reason: 'again', targetDatabase: drillDatabase })
    await waitFor((report) => report.status === 'waiting' && report.currentStage === 'restore')
    const status = await api.request('/api/ops/dr', { headers: oncall.headers })
    const skipWithoutReason = await post('/api/ops/dr/decisions', { kind: 'skip', stage: 'restore' })
    const wrongStage = await post('/api/ops/dr/decisions', { kind: 'approve', stage: 'deploy' })
    const approved = await post('/api/ops/dr/decisions', { kind: 'approve', stage: 'restore' })
    const finished = await waitFor((report) => report.status === 'succeeded')

    expect(noReason.status).toBe(400)
    expect(((await noReason.json()) as { fields: Record<string, string> }).fields).toHaveProperty('reason')
    expect(byOps.status).toBe(403)
    expect(started.status).toBe(202)
    expect(second.status).toBe(409)
    expect(((await second.json()) as { error: string }).error).toContain('"api drill"')
    expect(((await status.json()) as DrReport).stages[3]?.status).toBe('waiting')
    expect(skipWithoutReason.status).toBe(400)
    expect(wrongStage.status).toBe(409)
    expect(((await wrongStage.json()) as { error: string }).error).toContain('stage restore waits for approve, skip')
    expect(approved.status).toBe(200)
    expect(finished.requestedBy).toBe(oncall.email)
    expect(finished.stages[3]?.note).toBe(`approved by ${oncall.email}`)
  })
})
