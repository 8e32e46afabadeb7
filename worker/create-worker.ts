import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker'
import { fileURLToPath } from 'node:url'
import { createBackupActivities } from '../activities/backup'
import { createDrActivities } from '../activities/dr'
import { createRestoreActivities } from '../activities/restore'
import type { Config } from '../config'
import type { Sql } from '../data/db'
import type { ObjectStore } from '../storage/object-store'

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url))

export interface WorkerDependencies {
  config: Config
  connection: NativeConnection
  catalog: Sql
  storage: ObjectStore
  /** Prebuilt workflow bundle; tests pass one to skip bundling for every worker. */
  workflowBundle?: WorkerOptions['workflowBundle']
}

/** Builds every activity from real dependencies; the worker and the tests share this. */
export function createActivities(deps: Omit<WorkerDependencies, 'connection' | 'workflowBundle'>) {
  const { config, catalog, storage } = deps

  return {
    ...createBackupActivities({
      catalog,
      serverUrl: config.database.url,
      allowedDatabases: config.backup.databases,
      storage,
      format: config.backup.format,
      scratchPrefix: config.backup.scratchPrefix,
    }),
    ...createRestoreActivities({
      catalog,
      serverUrl: config.database.url,
      liveDatabases: [config.database.name, ...config.backup.databases],
      storage,
      jobs: config.backup.restoreJobs,
    }),
    ...createDrActivities({
      serverUrl: config.database.url,
      appDatabase: config.database.name,
      appUrl: config.api.publicUrl.replace(/\/+$/, ''),
      targetAppUrl: config.dr.targetAppUrl,
      storage,
      deployHookUrl: config.dr.deployHookUrl,
      deployCommand: config.dr.deployCommand,
      healthTimeoutMs: config.dr.healthTimeoutMs,
    }),
  }
}

/** Creates a worker on the configured task queue with every workflow and activity. */
export async function createWorker(deps: WorkerDependencies): Promise<Worker> {
  const code = deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }

  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.temporal.taskQueue,
    ...code,
    activities: createActivities(deps),
    // Long dumps and restores must finish or be cancelled cleanly before the process exits.
    shutdownGraceTime: '30 seconds',
  })
}
