import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker'
import { fileURLToPath } from 'node:url'
import { createBackupActivities } from '../activities/backup'
import { createMirrorActivities } from '../activities/mirror'
import { backupRetentionPolicy, createBackupRetentionActivities } from '../activities/backup-retention'
import { createDrActivities } from '../activities/dr'
import { createMonitoringActivities } from '../activities/monitoring'
import { createRestoreActivities } from '../activities/restore'
import { createRetentionActivities } from '../activities/retention'
import type { Config } from '../config'
import type { Sql } from '../data/db'
import { createAlertChannel } from '../observability/alert-channel'
import { disabledErrorReporter, type ErrorReporter } from '../observability/error-reporting'
import type { DocumentStorage } from '../storage/document-storage'
import type { ObjectStore } from '../storage/object-store'
import { activityInterceptors, errorReportingSinks, WORKFLOW_INTERCEPTORS_PATH } from './error-interceptors'

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url))

export interface WorkerDependencies {
  config: Config
  connection: NativeConnection
  catalog: Sql
  storage: ObjectStore
  /** The mirror of private storage; unset or null when MIRROR_PROVIDER is off. */
  mirror?: ObjectStore | null
  /** Every document provider, for removing the files of deleted and purged documents. */
  documents?: DocumentStorage | null
  /** Prebuilt workflow bundle; tests pass one to skip bundling for every worker. */
  workflowBundle?: WorkerOptions['workflowBundle']
  /** Receives failed activities, failed workflows and alerts; unset means Sentry is off. */
  errorReporter?: ErrorReporter
  /**
   * How long a workflow task waits for this worker's sticky queue before any worker may take
   * it; the SDK's default is 10 seconds. Tests that kill workers shorten it.
   */
  stickyQueueScheduleToStartTimeout?: WorkerOptions['stickyQueueScheduleToStartTimeout']
}

/** Builds every activity from real dependencies; the worker and the tests share this. */
export function createActivities(deps: Omit<WorkerDependencies, 'connection' | 'workflowBundle'>) {
  const { config, catalog, storage } = deps
  const alerts = createAlertChannel({
    sql: catalog,
    reporter: deps.errorReporter ?? disabledErrorReporter,
    webhookUrl: config.monitoring.alertWebhookUrl,
    environment: config.monitoring.sentry.environment,
  })

  return {
    ...createBackupActivities({
      catalog,
      serverUrl: config.database.url,
      allowedDatabases: config.backup.databases,
      storage,
      format: config.backup.format,
      scratchPrefix: config.backup.scratchPrefix,
      // The daily rule keeps each day's backup at least this long. Pruning an extra backup of
      // a day sooner only hides it behind a delete marker until its lock ends.
      lockDays: config.backup.retention.keepDaily,
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
      alerts,
    }),
    ...createMonitoringActivities({ sql: catalog, alerts }),
    ...createBackupRetentionActivities({ catalog, storage, policy: backupRetentionPolicy(config) }),
    ...createMirrorActivities({ catalog, primary: storage, mirror: deps.mirror ?? null, parallelism: config.mirror?.parallelism ?? 1 }),
    ...createRetentionActivities({ catalog, rules: config.retention.rules, documents: deps.documents ?? null, mirror: deps.mirror ?? null }),
  }
}

/** Creates a worker on the configured task queue with every workflow and activity. */
export async function createWorker(deps: WorkerDependencies): Promise<Worker> {
  const code = deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }
  const reporter = deps.errorReporter ?? disabledErrorReporter

  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.temporal.taskQueue,
    ...code,
    activities: createActivities(deps),
    // A prebuilt bundle must have been built with these modules as workflowInterceptorModules.
    interceptors: {
      workflowModules: deps.workflowBundle ? [] : [WORKFLOW_INTERCEPTORS_PATH],
      activity: [activityInterceptors(reporter)],
    },
    sinks: errorReportingSinks(reporter),
    // Long dumps and restores must finish or be cancelled cleanly before the process exits.
    shutdownGraceTime: '30 seconds',
    ...workerLimits(deps.config),
    ...(deps.stickyQueueScheduleToStartTimeout ? { stickyQueueScheduleToStartTimeout: deps.stickyQueueScheduleToStartTimeout } : {}),
  })
}

/** The configured concurrency limits; an unset one keeps the SDK's default. */
function workerLimits(config: Config): Partial<WorkerOptions> {
  const { maxConcurrentActivities, maxConcurrentWorkflowTasks, maxCachedWorkflows } = config.worker
  const limits: Partial<WorkerOptions> = {}
  if (maxConcurrentActivities !== null) limits.maxConcurrentActivityTaskExecutions = maxConcurrentActivities
  if (maxConcurrentWorkflowTasks !== null) limits.maxConcurrentWorkflowTaskExecutions = maxConcurrentWorkflowTasks
  if (maxCachedWorkflows !== null) limits.maxCachedWorkflows = maxCachedWorkflows
  return limits
}
