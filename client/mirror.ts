import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client'
import { manualMirrorWorkflowId } from '../domain/mirror'
import { OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER } from '../domain/search-attributes'
import type { mirrorRestoreWorkflow, mirrorVerifyWorkflow, mirrorWorkflow } from '../workflows'

interface MirrorStartOptions {
  taskQueue: string
  batchSize?: number
  requestId?: string
}

/** Builds the start options shared by the manual mirror, verify and restore runs. */
function startOptions(workflowId: string, target: 'private-storage' | 'mirror', options: MirrorStartOptions) {
  return {
    taskQueue: options.taskQueue,
    workflowId,
    args: [{ batchSize: options.batchSize }] as [{ batchSize?: number }],
    typedSearchAttributes: [
      { key: OPS_KIND, value: 'mirror' },
      { key: OPS_TARGET, value: target },
      { key: OPS_TRIGGER, value: 'manual' },
      { key: OPS_STATUS, value: 'queued' },
    ],
    memo: options.requestId ? { requestId: options.requestId } : undefined,
  }
}

const secondsStamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')

/** Starts a mirror run now, as the hourly schedule does. */
export function startMirror(client: Client, options: MirrorStartOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof mirrorWorkflow>> {
  return client.workflow.start('mirrorWorkflow', startOptions(manualMirrorWorkflowId(new Date()), 'private-storage', options))
}

/** Starts a comparison of every primary object with its mirror copy. */
export function startMirrorVerify(client: Client, options: MirrorStartOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof mirrorVerifyWorkflow>> {
  return client.workflow.start('mirrorVerifyWorkflow', startOptions(`mirror-verify-${secondsStamp()}`, 'mirror', options))
}

/** Starts copying what primary storage lacks back from the mirror. */
export function startMirrorRestore(client: Client, options: MirrorStartOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof mirrorRestoreWorkflow>> {
  return client.workflow.start('mirrorRestoreWorkflow', startOptions(`mirror-restore-${secondsStamp()}`, 'private-storage', options))
}
