import { Client, Connection, type WorkflowHandle } from '@temporalio/client'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratchDatabaseName } from '../../activities/databases'
import { RESTORE_WORK_DIR_PREFIX } from '../../activities/restore'
import { startDr } from '../../client/dr'
import { connectDatabase } from '../../data/db'
import type { DrReport, StageAttempt } from '../../domain/dr'
import { backupIdFromWorkflowId } from '../../domain/backup'
import { backupPruneScheduleId, backupScheduleId, manualBackupWorkflowId } from '../../domain/workflow-ids'
import { readManifest } from '../../storage/backup-manifests'
import { LocalObjectStore } from '../../storage/local'
import type { ActivityTimings } from '../../workflows/definitions'
import { drStatusQuery, retryStageUpdate, approveStageUpdate } from '../../workflows/dr-definitions'
import type { MirrorRunResult } from '../../workflows/mirror'
import { seedSchool, seedUser } from '../accounts-support'
import { endLeftoverDrRun, finishDrRun, TargetApp } from '../dr-support'
import { filesEndingWith, listKeys, printTrialTable, runningActivities, seededRandom, SEED, sha256Of, sleep, TRIALS, WorkerProcess, type TrialRow } from '../fault-support'
import { freePort } from '../global-setup'
import { createTestApp, dropDatabase, onServer, uniqueName, type TestApp } from '../support'
import { temporalAddressForTests, workflowBundle } from '../temporal-support'

// A killed worker's activity is retried a few seconds later instead of after minutes.
const TIMINGS: ActivityTimings = { heartbeatSeconds: 5, shortActivitySeconds: 15, retrySeconds: 1 }
const ARCHIVE_ROWS = 100_000
const SCRATCH_PREFIX = 'fault_scratch'

describe('SIGKILL of the worker at seeded points', () => {
  const random = seededRandom(SEED)
  const taskQueue = uniqueName('fault_tq')
  const drillDatabase = uniqueName('fault_dr')
  const rows: TrialRow[] = []
  let app: TestApp
  let mirrorRoot: string
  let workerTmp: string
  let connection: Connection
  let client: Client
  let worker: WorkerProcess
  let target: TargetApp
  let hook: Server
  let primary: LocalObjectStore
  let mirror: LocalObjectStore

  beforeAll(async () => {
    app = await createTestApp()
    mirrorRoot = await mkdtemp(join(tmpdir(), 'fault-mirror-'))
    workerTmp = await mkdtemp(join(tmpdir(), 'fault-worker-tmp-'))
    primary = new LocalObjectStore(app.storageRoot)
    mirror = new LocalObjectStore(mirrorRoot)
    const schoolId = await seedSchool(app.sql)
    await seedUser(app.sql, schoolId, ['admin'])
    await app.sql`CREATE TABLE attendance_archive AS SELECT i AS id, md5(i::text) AS mark FROM generate_series(1, ${ARCHIVE_ROWS}) i`

    const [targetPort, hookPort] = [await freePort(), await freePort()]
    target = new TargetApp(app.url.replace(app.name, drillDatabase), targetPort)
    hook = createServer((_request, response) => {
      target.start()
      response.writeHead(202).end('deploying')
    })
    await new Promise<void>((resolve) => hook.listen(hookPort, '127.0.0.1', resolve))

    connection = await Connection.connect({ address: temporalAddressForTests() })
    client = new Client({ connection })
    await endLeftoverDrRun(client)
    const bundlePath = join(workerTmp, 'workflow-bundle.js')
    await writeFile(bundlePath, (await workflowBundle()).code)
    worker = new WorkerProcess(
      {
        FAULT_WORKFLOW_BUNDLE: bundlePath,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        // The restore's temporary files go here, so the test can look for leftovers.
        TMPDIR: workerTmp,
        DATABASE_URL: app.url,
        TEMPORAL_ADDRESS: temporalAddressForTests(),
        TEMPORAL_TASK_QUEUE: taskQueue,
        STORAGE_LOCAL_ROOT: app.storageRoot,
        MIRROR_PROVIDER: 'local',
        MIRROR_LOCAL_ROOT: mirrorRoot,
        BACKUP_DATABASES: app.name,
        BACKUP_SCRATCH_PREFIX: SCRATCH_PREFIX,
        NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:9',
        DR_TARGET_APP_URL: `http://127.0.0.1:${targetPort}`,
        DR_DEPLOY_HOOK_URL: `http://127.0.0.1:${hookPort}/deploy`,
        DR_HEALTH_TIMEOUT_SECONDS: '30',
      },
      client,
    )
    await worker.start()
  })

  afterAll(async () => {
    printTrialTable(rows)
    if (client) await finishDrRun(client)
    await worker?.stop()
    for (const scheduleId of [backupScheduleId(app.name), backupPruneScheduleId(app.name)]) {
      await client?.schedule.getHandle(scheduleId).delete().catch(() => undefined)
    }
    await target?.stop()
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()))
    await connection?.close()
    await dropDatabase(drillDatabase)
    await app?.cleanup()
    for (const folder of [mirrorRoot, workerTmp]) if (folder) await rm(folder, { recursive: true, force: true })
  })

  /** Adds three documents and rewrites one, so every mirror run has objects to copy. */
  async function changeDocuments(trial: number): Promise<void> {
    for (let index = 0; index < 3; index++) {
      await primary.put(`documents/fault/${String(trial).padStart(2, '0')}-${index}.bin`, Readable.from([randomBytes(256 * 1024)]))
    }
    await primary.put('documents/fault/rewritten.bin', Readable.from([randomBytes(128 * 1024)]))
  }

  it('keeps backups, mirror runs and the DR run whole', async () => {
    const backups: WorkflowHandle[] = []
    const mirrors: WorkflowHandle[] = []
    const killed: { runId: string; attempt: number; row: TrialRow }[] = []
    const firstDate = Date.now() - 7_200_000
    // The DR run restores the newest verified backup, so one must exist before it starts.
    await (await client.workflow.start('backupWorkflow', { taskQueue, workflowId: manualBackupWorkflowId(app.name, new Date(firstDate)), args: [{ database: app.name, trigger: 'manual', timings: TIMINGS }] })).result()
    let dr: WorkflowHandle = await startDr(client, { reason: 'fault injection', requestedBy: 'oncall@school.test', targetDatabase: drillDatabase, taskQueue, retryBackoffSeconds: 0, restoreHeartbeatSeconds: 3, quickActivitySeconds: 15 })

    // Each round kills the worker once, while a new backup, a new mirror run and a restore
    // attempt of the DR run are in flight, each at its own seeded point.
    for (let trial = 1; trial <= TRIALS; trial++) {
      const previous = killed.at(-1)
      const restore = await nextRestoreAttempt(dr, previous ? `${previous.runId}/${previous.attempt}` : null)
      dr = restore.handle
      const restoreSeenAt = Date.now()
      await changeDocuments(trial)
      const backupAfter = Math.round(random() * 1_000)
      const mirrorAfter = Math.round(random() * 500)
      const backup = await client.workflow.start('backupWorkflow', {
        taskQueue,
        workflowId: manualBackupWorkflowId(app.name, new Date(firstDate + trial * 1_000)),
        args: [{ database: app.name, trigger: 'manual', timings: TIMINGS }],
      })
      await sleep(backupAfter)
      const mirrorRun = await client.workflow.start('mirrorWorkflow', { taskQueue, workflowId: uniqueName(`fault-mirror-${trial}`), args: [{ batchSize: 3, timings: TIMINGS }] })
      await sleep(mirrorAfter)

      const points = [await runningActivities(client, backup.workflowId), await runningActivities(client, mirrorRun.workflowId), await runningActivities(client, dr.workflowId)]
      await worker.kill()
      const restoreRow: TrialRow = { kind: 'dr restore', trial, killAfterMs: Date.now() - restoreSeenAt, point: points[2]!, outcome: '', checks: '' }
      rows.push({ kind: 'backup', trial, killAfterMs: backupAfter + mirrorAfter, point: points[0]!, outcome: '', checks: '' })
      rows.push({ kind: 'mirror', trial, killAfterMs: mirrorAfter, point: points[1]!, outcome: '', checks: '' })
      rows.push(restoreRow)
      backups.push(backup)
      mirrors.push(mirrorRun)
      killed.push({ runId: restore.runId, attempt: restore.attempt, row: restoreRow })
      await worker.start()
    }

    const final = await driveToEnd(dr)
    const backupOutcomes = await Promise.allSettled(backups.map((handle) => handle.result()))
    const mirrorOutcomes = await Promise.allSettled(mirrors.map((handle) => handle.result() as Promise<MirrorRunResult>))
    const problems = [...(await checkBackups(backups, backupOutcomes)), ...(await checkMirrors(mirrors, mirrorOutcomes)), ...(await checkDrRuns(dr, killed, final))]
    const leftovers = (await readdir(workerTmp)).filter((name) => name.startsWith(RESTORE_WORK_DIR_PREFIX))

    expect(problems).toEqual([])
    expect(leftovers).toEqual([])
  }, 1_200_000)

  /** Checks each backup's catalog row against storage, and storage against the catalog. */
  async function checkBackups(handles: WorkflowHandle[], outcomes: PromiseSettledResult<unknown>[]): Promise<string[]> {
    const problems: string[] = []
    const catalog = await app.sql<{ id: string; workflow_id: string; status: string; object_key: string | null; manifest_key: string | null; sha256: string | null; size_bytes: string | null }[]>`
      SELECT id, workflow_id, status, object_key, manifest_key, sha256, size_bytes FROM backup`
    const keys = await listKeys(primary, 'backups/')

    for (const [index, handle] of handles.entries()) {
      const row = rows.filter((entry) => entry.kind === 'backup')[index]!
      const found = catalog.filter((entry) => entry.workflow_id === handle.workflowId)
      const checks: string[] = []
      const outcome = outcomes[index]!
      row.outcome = outcome.status === 'fulfilled' ? 'verified' : `failed: ${(outcome.reason as Error).cause instanceof Error ? ((outcome.reason as Error).cause as Error).message : (outcome.reason as Error).message}`.slice(0, 60)
      if (found.length !== 1) checks.push(`${found.length} catalog rows`)
      const entry = found[0]
      // A run can fail after a drill that passed, when the attempt that recorded it was the
      // last one killed; its row then stays verified, and the backup must be whole.
      if (entry && outcome.status === 'rejected' && entry.status === 'verified') row.outcome = 'failed after its drill passed'
      if (entry && (outcome.status === 'fulfilled' || entry.status === 'verified')) {
        if (entry.status !== 'verified') checks.push(`row is ${entry.status}`)
        const object = entry.object_key ? await primary.stat(entry.object_key) : null
        if (!object || object.sizeBytes !== Number(entry.size_bytes)) checks.push('object missing or of another size')
        else if ((await sha256Of(primary, entry.object_key!)) !== entry.sha256) checks.push('object checksum differs')
        const manifest = entry.manifest_key ? await readManifest(primary, entry.manifest_key).catch(() => null) : null
        if (manifest?.sha256 !== entry.sha256) checks.push('manifest missing or differs')
        if (manifest?.verification?.status !== 'verified') checks.push('manifest records no passed drill')
      }
      if (entry && outcome.status === 'rejected' && !['failed', 'verified'].includes(entry.status)) checks.push(`failed run left its row ${entry.status}`)
      const scratch = await onServer((sql) => sql`SELECT 1 FROM pg_database WHERE datname = ${scratchDatabaseName(SCRATCH_PREFIX, backupIdFromWorkflowId(handle.workflowId))}`)
      if (scratch.length > 0) checks.push('scratch database left')
      row.checks = checks.length === 0 ? 'ok' : checks.join('; ')
      problems.push(...checks.map((check) => `backup trial ${row.trial}: ${check}`))
    }

    const objectKeys = new Set(catalog.map((entry) => entry.object_key))
    const manifestKeys = new Set(catalog.map((entry) => entry.manifest_key))
    for (const key of keys) {
      const known = key.endsWith('.manifest.json') ? manifestKeys.has(key) : objectKeys.has(key)
      if (!known) problems.push(`object without a catalog row: ${key}`)
    }
    if (new Set(catalog.map((entry) => entry.workflow_id)).size !== catalog.length) problems.push('duplicate catalog rows')
    return problems
  }

  /** Checks each run's record, then that a quiet run and a verification find the mirror whole. */
  async function checkMirrors(handles: WorkflowHandle[], outcomes: PromiseSettledResult<MirrorRunResult>[]): Promise<string[]> {
    const problems: string[] = []
    for (const [index, handle] of handles.entries()) {
      const row = rows.filter((entry) => entry.kind === 'mirror')[index]!
      const outcome = outcomes[index]!
      const runId = (await handle.describe()).raw.workflowExecutionInfo?.firstRunId ?? ''
      const recorded = await app.sql<{ status: string }[]>`SELECT status FROM mirror_run WHERE run_id = ${runId}`
      row.outcome = outcome.status === 'fulfilled' ? `${outcome.value.status}, ${outcome.value.copied} copied` : `failed: ${(outcome.reason as Error).message}`.slice(0, 60)
      const checks: string[] = []
      if (outcome.status === 'rejected') checks.push('run did not finish')
      if (recorded.length !== 1) checks.push(`${recorded.length} mirror_run rows`)
      else if (outcome.status === 'fulfilled' && recorded[0]!.status !== outcome.value.status) checks.push('recorded status differs')
      row.checks = checks.length === 0 ? 'ok' : checks.join('; ')
      problems.push(...checks.map((check) => `mirror trial ${row.trial}: ${check}`))
    }

    const quiet = await (await client.workflow.start('mirrorWorkflow', { taskQueue, workflowId: uniqueName('fault-mirror-quiet'), args: [{}] })).result()
    const verified = (await (await client.workflow.start('mirrorVerifyWorkflow', { taskQueue, workflowId: uniqueName('fault-mirror-verify'), args: [{}] })).result()) as { missing: number; differing: number; examples: string[] }
    if (quiet.status !== 'good') problems.push(`the quiet mirror run was ${quiet.status}`)
    if (verified.missing + verified.differing > 0) problems.push(`mirror differs from primary: ${verified.examples.join(', ')}`)
    for (const row of await app.sql<{ key: string; sha256: string }[]>`SELECT key, sha256 FROM mirror_object`) {
      const actual = await sha256Of(mirror, row.key).catch(() => 'missing')
      if (actual !== row.sha256) problems.push(`mirror_object row of ${row.key} does not match its copy (${actual})`)
    }
    for (const store of [primary, mirror]) {
      if ((await listKeys(store, '')).some((key) => key.includes('.partial'))) problems.push(`${store.provider} lists a half-written object`)
    }
    const leftovers = [...(await filesEndingWith(app.storageRoot, '.partial')), ...(await filesEndingWith(mirrorRoot, '.partial'))]
    console.log(`half-written files on disk, unlisted, for the worker's start-up sweep: ${leftovers.length}`)
    return problems
  }

  /** Checks each killed restore attempt's record, every stage's attempts, and the restored rows. */
  async function checkDrRuns(handle: WorkflowHandle, killed: { runId: string; attempt: number; row: TrialRow }[], final: DrReport): Promise<string[]> {
    const problems: string[] = []
    const reports = new Map<string, DrReport>()
    for (const runId of new Set(killed.map((entry) => entry.runId))) {
      reports.set(runId, (await client.workflow.getHandle(handle.workflowId, runId).result()) as DrReport)
    }
    for (const { runId, attempt, row } of killed) {
      const stage = reports.get(runId)!.stages.find((entry) => entry.stage === 'restore')!
      const recorded = stage.attempts.find((entry) => entry.attempt === attempt)
      row.outcome = recorded ? `attempt ${attempt} ${recorded.outcome}` : `attempt ${attempt} not recorded`
      const checks: string[] = []
      if (!recorded) checks.push('attempt missing from the report')
      else if (recorded.outcome === 'failed' && !/heartbeat/i.test(recorded.error ?? '')) checks.push(`failed for another reason: ${recorded.error}`)
      else if (!recorded.endedAt) checks.push('attempt has no end')
      row.checks = checks.length === 0 ? 'ok' : checks.join('; ')
      problems.push(...checks.map((check) => `DR trial ${row.trial}: ${check}`))
    }
    for (const report of [...reports.values(), final]) {
      if (report.status !== 'succeeded') problems.push(`run ${report.runId} ended ${report.status}`)
      for (const stage of report.stages) {
        if (stage.status !== 'succeeded') problems.push(`run ${report.runId}: stage ${stage.stage} is ${stage.status}`)
        if (stage.attempts.some((entry) => entry.outcome === 'running')) problems.push(`run ${report.runId}: stage ${stage.stage} has an attempt still running`)
        if (stage.attempts.map((entry) => entry.attempt).join() !== stage.attempts.map((_, index) => index + 1).join()) problems.push(`run ${report.runId}: stage ${stage.stage} attempts are not numbered 1..n`)
        if (stage.attempts.at(-1)?.outcome !== 'succeeded') problems.push(`run ${report.runId}: stage ${stage.stage} did not end with a successful attempt`)
      }
    }

    const restored = connectDatabase(app.url.replace(app.name, drillDatabase), { max: 1 })
    try {
      const [archive] = await restored<{ n: string }[]>`SELECT count(*) AS n FROM attendance_archive`
      const runs = await restored`SELECT 1 FROM dr_run WHERE run_id = ${final.runId}`
      if (Number(archive?.n) !== ARCHIVE_ROWS) problems.push(`restored ${archive?.n} archive rows, not ${ARCHIVE_ROWS}`)
      if (runs.length !== 1) problems.push(`${runs.length} dr_run rows of the last run`)
    } finally {
      await restored.end()
    }
    return problems
  }

  /**
   * Waits until a new restore attempt runs, retrying a stage that ran out of attempts and
   * approving the replacement of the target. Starts a new run when the last one ended.
   */
  async function nextRestoreAttempt(start: WorkflowHandle, previous: string | null): Promise<{ handle: WorkflowHandle; runId: string; attempt: number }> {
    let handle = start
    for (let tries = 0; tries < 3_000; tries++) {
      const report = await handle.query(drStatusQuery).catch(() => null)
      if (report) {
        const stage = report.stages.find((entry) => entry.stage === 'restore')!
        const last = stage.attempts.at(-1)
        if (last?.outcome === 'running' && `${report.runId}/${last.attempt}` !== previous && report.currentStage === 'restore') {
          const pending = await runningActivities(client, handle.workflowId)
          if (pending.startsWith('restoreBackup')) return { handle, runId: report.runId, attempt: last.attempt }
        }
        if (report.status === 'waiting' && report.currentStage === 'restore') {
          await decideWaitingRestore(handle, last)
        } else if (['succeeded', 'failed', 'aborted'].includes(report.status)) {
          await handle.result().catch(() => undefined)
          handle = await startDr(client, { reason: 'fault injection, next run', requestedBy: 'oncall@school.test', targetDatabase: drillDatabase, taskQueue, retryBackoffSeconds: 0, restoreHeartbeatSeconds: 3, quickActivitySeconds: 15 })
        }
      }
      await sleep(50)
    }
    throw new Error('no new restore attempt started within 3,000 polls of 50 ms')
  }

  /**
   * Retries a restore stage whose attempts a kill used up, or approves replacing the target.
   * A failure other than a lost heartbeat stops the test, because retrying it would spin.
   */
  async function decideWaitingRestore(handle: WorkflowHandle, last: StageAttempt | undefined): Promise<void> {
    if (last?.outcome === 'failed' && !/heartbeat/i.test(last.error ?? '')) throw new Error(`restore attempt ${last.attempt} failed: ${last.error}`)
    const decision = last?.outcome === 'failed' ? retryStageUpdate : approveStageUpdate
    await handle.executeUpdate(decision, { args: [{ stage: 'restore', by: 'fault test' }] }).catch(() => undefined)
  }

  /** Lets the last run finish, retrying or approving the restore stage when it waits. */
  async function driveToEnd(handle: WorkflowHandle): Promise<DrReport> {
    for (let tries = 0; tries < 6_000; tries++) {
      const report = await handle.query(drStatusQuery).catch(() => null)
      if (report && ['succeeded', 'failed', 'aborted'].includes(report.status)) return (await handle.result()) as DrReport
      if (report?.status === 'waiting' && report.currentStage === 'restore') {
        await decideWaitingRestore(handle, report.stages.find((entry) => entry.stage === 'restore')!.attempts.at(-1))
      }
      await sleep(100)
    }
    throw new Error('the DR run did not end within 10 minutes')
  }
})
