import { Client, Connection } from '@temporalio/client'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackup } from '../../client/backups'
import { startDr } from '../../client/dr'
import { connectDatabase } from '../../data/db'
import { seedSchool, seedUser } from '../accounts-support'
import { endLeftoverDrRun, finishDrRun, TargetApp } from '../dr-support'
import { freePort } from '../global-setup'
import { createTestApp, dropDatabase, uniqueName, type TestApp } from '../support'
import { temporalAddressForTests } from '../temporal-support'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ARCHIVE_ROWS = 400_000

/** Starts `npm run worker` as a child process of its own, so the test can kill it outright. */
function startWorker(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return child
}

async function stopWorker(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  await exited
}

describe('DR run with a worker killed during the restore', () => {
  let app: TestApp
  let target: TargetApp
  let hook: Server
  let connection: Connection
  let client: Client
  let env: Record<string, string>
  let worker: ChildProcess | undefined
  const drillDatabase = uniqueName('dr_crash')

  beforeAll(async () => {
    app = await createTestApp()
    const schoolId = await seedSchool(app.sql)
    await seedUser(app.sql, schoolId, ['admin'])
    await app.sql`
      INSERT INTO student (school_id, admission_number, first_name, last_name, birth_date, admitted_on)
      SELECT ${schoolId}, 'CR-' || i, 'Student', 'Number ' || i, '2012-01-01', '2024-09-01' FROM generate_series(1, 25) i`
    // Enough data that pg_restore runs for a few seconds, long enough to be killed mid-way.
    await app.sql`CREATE TABLE attendance_archive AS SELECT i AS id, md5(i::text) AS mark FROM generate_series(1, ${ARCHIVE_ROWS}) i`
    await app.sql`CREATE INDEX attendance_archive_mark ON attendance_archive (mark)`

    const [targetPort, hookPort] = [await freePort(), await freePort()]
    target = new TargetApp(app.url.replace(app.name, drillDatabase), targetPort)
    hook = createServer((_request, response) => {
      target.start()
      response.writeHead(202).end('deploying')
    })
    await new Promise<void>((resolve) => hook.listen(hookPort, '127.0.0.1', resolve))

    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: app.url,
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: uniqueName('crash_tq'),
      STORAGE_LOCAL_ROOT: app.storageRoot,
      BACKUP_DATABASES: app.name,
      NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:9',
      DR_TARGET_APP_URL: `http://127.0.0.1:${targetPort}`,
      DR_DEPLOY_HOOK_URL: `http://127.0.0.1:${hookPort}/deploy`,
      DR_HEALTH_TIMEOUT_SECONDS: '30',
    }
    connection = await Connection.connect({ address: temporalAddressForTests() })
    client = new Client({ connection })
    await endLeftoverDrRun(client)
    worker = startWorker(env)
    const backup = await startBackup(client, { database: app.name, taskQueue: env.TEMPORAL_TASK_QUEUE! })
    await backup.result()
  })

  afterAll(async () => {
    if (client) await finishDrRun(client)
    await stopWorker(worker, 'SIGTERM')
    await target?.stop()
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()))
    await connection?.close()
    await dropDatabase(drillDatabase)
    await app?.cleanup()
  })

  /** Waits until a worker has started the restore activity of the DR run. */
  async function restoreStarted(workflowId: string): Promise<void> {
    for (let tries = 0; tries < 600; tries++) {
      const description = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } })
      const pending = description.pendingActivities ?? []
      if (pending.some((activity) => activity.activityType?.name === 'restoreBackup' && activity.lastStartedTime)) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error('the restore activity never started')
  }

  it('resumes on another worker and restores once', async () => {
    const handle = await startDr(client, {
      reason: 'drill: worker killed mid-restore',
      requestedBy: 'oncall@school.test',
      targetDatabase: drillDatabase,
      taskQueue: env.TEMPORAL_TASK_QUEUE!,
      retryBackoffSeconds: 0,
      restoreHeartbeatSeconds: 3,
    })

    await restoreStarted(handle.workflowId)
    await stopWorker(worker, 'SIGKILL')
    worker = startWorker(env)
    const report = await handle.result()

    const restore = report.stages[3]!
    expect(report.status).toBe('succeeded')
    expect(restore.attempts.map((attempt) => attempt.outcome)).toEqual(['failed', 'succeeded'])
    expect(restore.attempts[0]?.error).toMatch(/heartbeat/i)
    const restored = connectDatabase(app.url.replace(app.name, drillDatabase), { max: 1 })
    try {
      const [archive] = await restored<{ n: string }[]>`SELECT count(*) AS n FROM attendance_archive`
      const [students] = await restored<{ n: string }[]>`SELECT count(*) AS n FROM student`
      const runs = await restored`SELECT 1 FROM dr_run WHERE run_id = ${report.runId}`
      expect(Number(archive?.n)).toBe(ARCHIVE_ROWS)
      expect(Number(students?.n)).toBe(25)
      expect(runs).toHaveLength(1)
    } finally {
      await restored.end()
    }
  })
})
