import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client'
import { manualMirrorWorkflowId } from '../domain/mirror'
import { OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER } from '../domain/search-attributes'
import type { mirrorWorkflow } from '../workflows'

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
