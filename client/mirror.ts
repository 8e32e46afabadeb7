import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client'
import { manualMirrorWorkflowId } from '../domain/mirror'
import { OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER } from '../domain/search-attributes'
import type { mirrorRestoreWorkflow, mirrorVerifyWorkflow, mirrorWorkflow } from '../workflows'

/** Starts a mirror run now, as the hourly schedule does. */
export async function startMirror(
  client: Client,
  options: { taskQueue: string; batchSize?: number; requestId?: string },
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof mirrorWorkflow>> {
  return client.workflow.start('mirrorWorkflow', {
    taskQueue: options.taskQueue,
    workflowId: manualMirrorWorkflowId(new Date()),
    args: [{ batchSize: options.batchSize }],
    typedSearchAttributes: [
      { key: OPS_KIND, value: 'mirror' },
      { key: OPS_TARGET, value: 'private-storage' },
      { key: OPS_TRIGGER, value: 'manual' },
      { key: OPS_STATUS, value: 'queued' },
    ],
    memo: options.requestId ? { requestId: options.requestId } : undefined,
  })
}

function checkOptions(kind: 'verify' | 'restore', options: { taskQueue: string; batchSize?: number; requestId?: string }) {
  return {
    taskQueue: options.taskQueue,
    workflowId: `mirror-${kind}-${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
    args: [{ batchSize: options.batchSize }] as [{ batchSize?: number }],
    typedSearchAttributes: [
      { key: OPS_KIND, value: 'mirror' },
      { key: OPS_TARGET, value: kind === 'verify' ? 'mirror' : 'private-storage' },
      { key: OPS_TRIGGER, value: 'manual' },
      { key: OPS_STATUS, value: 'queued' },
    ],
    memo: options.requestId ? { requestId: options.requestId } : undefined,
  }
}

/** Starts a comparison of every primary object with its mirror copy. */
export function startMirrorVerify(client: Client, options: { taskQueue: string; batchSize?: number; requestId?: string }): Promise<WorkflowHandleWithFirstExecutionRunId<typeof mirrorVerifyWorkflow>> {
  return client.workflow.start('mirrorVerifyWorkflow', checkOptions('verify', options))
}

/** Starts copying what primary storage lacks back from the mirror. */
export function startMirrorRestore(client: Client, options: { taskQueue: string; batchSize?: number; requestId?: string }): Promise<WorkflowHandleWithFirstExecutionRunId<typeof mirrorRestoreWorkflow>> {
  return client.workflow.start('mirrorRestoreWorkflow', checkOptions('restore', options))
}
