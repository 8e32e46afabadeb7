import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client'
import type { RestoreRequest } from '../activities/restore'
import { backupIdFromManifestKey } from '../domain/backup'
import { OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER } from '../domain/search-attributes'
import { manualBackupPruneWorkflowId, manualBackupWorkflowId, restoreWorkflowId } from '../domain/workflow-ids'
import type { backupRetentionWorkflow, backupWorkflow, restoreWorkflow } from '../workflows'

export interface StartBackupOptions {
  database: string
  taskQueue: string
  requestId?: string
  now?: Date
}

/** Starts a manual backup of one database and returns its handle. */
export async function startBackup(client: Client, options: StartBackupOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof backupWorkflow>> {
  const workflowId = manualBackupWorkflowId(options.database, options.now ?? new Date())

  return client.workflow.start('backupWorkflow', {
    taskQueue: options.taskQueue,
    workflowId,
    args: [{ database: options.database, trigger: 'manual', requestId: options.requestId }],
    typedSearchAttributes: [
      { key: OPS_KIND, value: 'backup' },
      { key: OPS_TARGET, value: options.database },
      { key: OPS_TRIGGER, value: 'manual' },
      { key: OPS_STATUS, value: 'queued' },
    ],
    memo: options.requestId ? { requestId: options.requestId } : undefined,
  })
}

/** Starts a restore; the workflow id names the backup and the target. */
export async function startRestore(
  client: Client,
  options: { request: RestoreRequest; taskQueue: string; requestId?: string },
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof restoreWorkflow>> {
  const { backupId: id, manifestKey } = options.request
  const backupId = id ?? (manifestKey ? backupIdFromManifestKey(manifestKey) : 'unknown')

  return client.workflow.start('restoreWorkflow', {
    taskQueue: options.taskQueue,
    workflowId: restoreWorkflowId(backupId, options.request.targetDatabase),
    args: [options.request],
    typedSearchAttributes: [
      { key: OPS_KIND, value: 'restore' },
      { key: OPS_TARGET, value: options.request.targetDatabase },
      { key: OPS_TRIGGER, value: 'manual' },
      { key: OPS_STATUS, value: 'queued' },
    ],
    memo: options.requestId ? { requestId: options.requestId } : undefined,
  })
}

/** Heartbeat details of the workflow's running activities, for progress output. */
export async function pendingActivityProgress(handle: WorkflowHandle): Promise<{ activity: string; attempt: number; details: unknown }[]> {
  const description = await handle.describe()
  const pending = description.raw.pendingActivities ?? []
  const { payloadConverter } = handle.client.options.loadedDataConverter

  return pending.map((activity) => {
    const payload = activity.heartbeatDetails?.payloads?.[0]
    return {
      activity: activity.activityType?.name ?? 'unknown',
      attempt: activity.attempt ?? 1,
      details: payload ? payloadConverter.fromPayload(payload) : null,
    }
  })
}

/** Starts pruning one database's backups to the retention counts, as the daily schedule does. */
export async function startBackupPrune(
  client: Client,
  options: { database: string; taskQueue: string; requestId?: string },
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof backupRetentionWorkflow>> {
  return client.workflow.start('backupRetentionWorkflow', {
    taskQueue: options.taskQueue,
    workflowId: manualBackupPruneWorkflowId(options.database, new Date()),
    args: [{ database: options.database }],
    typedSearchAttributes: [
      { key: OPS_KIND, value: 'backup-prune' },
      { key: OPS_TARGET, value: options.database },
      { key: OPS_TRIGGER, value: 'manual' },
      { key: OPS_STATUS, value: 'queued' },
    ],
    memo: options.requestId ? { requestId: options.requestId } : undefined,
  })
}
