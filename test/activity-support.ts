import { DefaultLogger } from '@temporalio/worker'
import { MockActivityEnvironment } from '@temporalio/testing'
import { createBackupActivities } from '../activities/backup'
import { createRestoreActivities } from '../activities/restore'
import type { OpsTrigger } from '../domain/search-attributes'
import type { Sql } from '../data/db'
import type { ObjectStore } from '../storage/object-store'
import { SERVER_URL, uniqueName } from './support'

/** Runs an activity outside a worker, with a real activity context for heartbeats and logs. */
export function runActivity<P extends unknown[], R>(activity: (...args: P) => Promise<R>, ...args: P): Promise<R> {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') }).run(activity, ...args)
}

export function backupActivities(catalog: Sql, storage: ObjectStore, databases: string[], format: 'custom' | 'plain' = 'custom', options: { lockDays?: number } = {}) {
  return createBackupActivities({
    catalog,
    serverUrl: SERVER_URL,
    allowedDatabases: databases,
    storage,
    format,
    scratchPrefix: uniqueName('drill').slice(0, 20),
    ...options,
  })
}

export function restoreActivities(catalog: Sql, storage: ObjectStore, liveDatabases: string[]) {
  return createRestoreActivities({ catalog, serverUrl: SERVER_URL, liveDatabases, storage, jobs: 2 })
}

/** Backs up a database through the prepare and dump activities, without the drill. */
export async function dumpWithActivities(
  activities: ReturnType<typeof backupActivities>,
  database: string,
  trigger: OpsTrigger = 'manual',
) {
  const backupId = uniqueName(`backup-${database}`)
  const run = { backupId, workflowId: backupId, database, trigger, startedAt: new Date().toISOString() }
  const versions = await runActivity(activities.prepareBackup, run)
  const dump = await runActivity(activities.dumpDatabase, { ...run, ...versions })
  return { backupId, ...dump }
}
