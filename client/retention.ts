import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client'
import { retentionDryRunWorkflowId, retentionPurgeWorkflowId } from '../domain/retention-runs'
import { OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER } from '../domain/search-attributes'
import type { retentionPurgeWorkflow } from '../workflows'

export interface RetentionStartOptions {
  taskQueue: string
  school: { id: string; slug: string }
  dryRun: boolean
  asOf?: string
  batchSize?: number
  requestId?: string
}

/**
 * Starts a school's retention run now. A real purge runs under the school's one purge id, so
 * it fails with WorkflowExecutionAlreadyStartedError while another purge runs. A dry run gets
 * its own id each second.
 */
export function startRetentionRun(client: Client, options: RetentionStartOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof retentionPurgeWorkflow>> {
  const { school } = options
  return client.workflow.start('retentionPurgeWorkflow', {
    taskQueue: options.taskQueue,
    workflowId: options.dryRun ? retentionDryRunWorkflowId(school.slug, new Date()) : retentionPurgeWorkflowId(school.slug),
    args: [{ schoolId: school.id, slug: school.slug, dryRun: options.dryRun, asOf: options.asOf, batchSize: options.batchSize }],
    typedSearchAttributes: [
      { key: OPS_KIND, value: 'retention' },
      { key: OPS_TARGET, value: school.slug },
      { key: OPS_TRIGGER, value: 'manual' },
      { key: OPS_STATUS, value: 'queued' },
    ],
    memo: options.requestId ? { requestId: options.requestId } : undefined,
  })
}
