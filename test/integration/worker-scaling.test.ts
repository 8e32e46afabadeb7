import { Client, Connection, type WorkflowHandle } from '@temporalio/client'
import { temporal } from '@temporalio/proto'
import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackup } from '../../client/backups'
import { connectDatabase, withDatabase } from '../../data/db'
import { backupPruneScheduleId, backupScheduleId } from '../../domain/workflow-ids'
import { LocalObjectStore } from '../../storage/local'
import { ROOT } from '../deploy-support'
import { createDatabase, createTestApp, dropDatabase, SERVER_URL, uniqueName, type TestApp } from '../support'
import { temporalAddressForTests } from '../temporal-support'

const EventType = temporal.api.enums.v1.EventType
const ROWS_PER_DATABASE = 300_000
const LONG_ACTIVITIES = ['dumpDatabase', 'verifyBackup']

/** Starts a worker the way the image does, as a process of its own that the test may kill. */
function startWorker(env: Record<string, string>): ChildProcess {
  return spawn('./deploy/entrypoint.sh', ['worker'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

async function stopWorker(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  await exited
}

/**
 * Polls until `find` returns a value. A failed call is retried too, because a dev server busy
 * with other test files may let a describe call pass its deadline.
 */
async function waitFor<T>(description: string, find: () => Promise<T | undefined>): Promise<T> {
  let lastError: unknown = null
  for (let tries = 0; tries < 1200; tries++) {
    try {
      const found = await find()
      if (found !== undefined) return found
    } catch (error) {
      lastError = error
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${description} did not happen within 120 s`, { cause: lastError })
}

async function createSourceDatabase(name: string): Promise<void> {
  await createDatabase(name)
  const sql = connectDatabase(withDatabase(SERVER_URL, name), { max: 1 })
  try {
    await sql`CREATE TABLE attendance_archive AS SELECT i AS id, md5(i::text) AS mark FROM generate_series(1, ${ROWS_PER_DATABASE}) i`
  } finally {
    await sql.end()
  }
}

describe('two workers on one task queue', () => {
  const databases = [uniqueName('scale_a'), uniqueName('scale_b'), uniqueName('scale_c')]
  const taskQueue = uniqueName('scaling_tq')
  let app: TestApp
  let connection: Connection
  let client: Client
  let env: Record<string, string>
  let workers: ChildProcess[] = []

  beforeAll(async () => {
    app = await createTestApp()
    for (const database of databases) await createSourceDatabase(database)
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: app.url,
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      STORAGE_LOCAL_ROOT: app.storageRoot,
      BACKUP_DATABASES: databases.join(','),
      NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:9',
      // One activity at a time per worker, so several backups at once must use both workers.
      WORKER_MAX_CONCURRENT_ACTIVITIES: '1',
    }
    connection = await Connection.connect({ address: temporalAddressForTests() })
    client = new Client({ connection })
  })

  afterAll(async () => {
    for (const worker of workers) await stopWorker(worker, 'SIGTERM')
    for (const database of databases) {
      for (const scheduleId of [backupScheduleId(database), backupPruneScheduleId(database)]) {
        await client?.schedule.getHandle(scheduleId).delete().catch(() => undefined)
      }
      await dropDatabase(database)
    }
    await connection?.close()
    await app?.cleanup()
  })

  async function pollingWorkerPids(): Promise<Set<number>> {
    const description = await client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    })
    return new Set((description.pollers ?? []).map((poller) => Number(poller.identity?.split('@')[0])))
  }

  /** Finds a backup whose dump or restore drill is running on the given worker. */
  async function longActivityOn(handles: WorkflowHandle[], pid: number): Promise<{ workflowId: string; activity: string } | undefined> {
    for (const handle of handles) {
      const { raw } = await handle.describe()
      for (const pending of raw.pendingActivities ?? []) {
        const name = pending.activityType?.name ?? ''
        if (LONG_ACTIVITIES.includes(name) && pending.lastStartedTime && pending.lastWorkerIdentity?.startsWith(`${pid}@`)) {
          return { workflowId: handle.workflowId, activity: name }
        }
      }
    }
    return undefined
  }

  it('share backups and survive a kill', async () => {
    workers = [startWorker(env), startWorker(env)]
    const [first, second] = workers as [ChildProcess, ChildProcess]
    await waitFor('both workers polling', async () => ((await pollingWorkerPids()).size === 2 ? true : undefined))

    // Manual backup ids carry their start second and the word manual, so the triggered
    // scheduled backup below cannot collide with them.
    const start = Date.now()
    const handles: WorkflowHandle[] = []
    for (const [index, database] of [...databases, databases[0]!].entries()) {
      handles.push(await startBackup(client, { database, taskQueue, now: new Date(start + index * 1000) }))
    }
    const schedule = client.schedule.getHandle(backupScheduleId(databases[1]!))
    await schedule.trigger()
    const scheduledId = await waitFor('the scheduled backup', async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId)
    handles.push(client.workflow.getHandle(scheduledId))

    const interrupted = await waitFor('a long activity on the first worker', () => longActivityOn(handles, first.pid!))
    await stopWorker(first, 'SIGKILL')
    for (const handle of handles) await handle.result()

    const rows = await app.sql<{ workflow_id: string; status: string }[]>`SELECT workflow_id, status FROM backup ORDER BY workflow_id`
    const manifests: string[] = []
    for await (const object of new LocalObjectStore(app.storageRoot).list('backups/')) {
      if (object.key.endsWith('.manifest.json')) manifests.push(object.key)
    }
    expect(rows.map((row) => row.workflow_id)).toEqual(handles.map((handle) => handle.workflowId).sort())
    expect(rows.every((row) => row.status === 'verified')).toBe(true)
    expect(manifests).toHaveLength(handles.length)

    const identities = new Set<string>()
    for (const handle of handles) {
      const events = (await handle.fetchHistory()).events ?? []
      const scheduledNames = new Map<string, string>()
      const completed: string[] = []
      for (const event of events) {
        if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
          scheduledNames.set(String(event.eventId), event.activityTaskScheduledEventAttributes?.activityType?.name ?? '')
        }
        if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
          const started = event.activityTaskStartedEventAttributes!
          identities.add(started.identity ?? '')
          const name = scheduledNames.get(String(started.scheduledEventId))
          if (handle.workflowId === interrupted.workflowId && name === interrupted.activity) {
            expect(started.attempt, 'attempt that finished the interrupted activity').toBeGreaterThanOrEqual(2)
            expect(started.identity?.startsWith(`${second.pid}@`)).toBe(true)
          }
        }
        if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
          completed.push(scheduledNames.get(String(event.activityTaskCompletedEventAttributes?.scheduledEventId)) ?? '')
        }
      }
      expect(completed.sort(), handle.workflowId).toEqual(['dumpDatabase', 'prepareBackup', 'verifyBackup'])
    }
    const pids = new Set([...identities].map((identity) => Number(identity.split('@')[0])))
    expect(pids).toEqual(new Set([first.pid, second.pid]))
  }, 300_000)
})
