import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client'
import type { DrReport, DrStage } from '../domain/dr'
import { DR_STAGE, OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER } from '../domain/search-attributes'
import {
  abortRunUpdate,
  approveStageUpdate,
  DR_WORKFLOW_ID,
  drStatusQuery,
  retryStageUpdate,
  skipStageUpdate,
  type DrWorkflowInput,
} from '../workflows/dr-definitions'
import type { drRestoreWorkflow } from '../workflows'

/** Thrown when a DR run is already going; the message names it. */
export class DrAlreadyRunningError extends Error {
  constructor(readonly report: DrReport | null) {
    super(
      report
        ? `a DR run is already active: started ${report.startedAt} by ${report.requestedBy} ("${report.reason}"), now ${report.status} at stage ${report.currentStage ?? 'none'}`
        : 'a DR run is already active',
    )
    this.name = 'DrAlreadyRunningError'
  }
}

/** Starts the DR run; rejects with DrAlreadyRunningError while another one is active. */
export async function startDr(client: Client, options: DrWorkflowInput & { taskQueue: string }): Promise<WorkflowHandleWithFirstExecutionRunId<typeof drRestoreWorkflow>> {
  const { taskQueue, ...input } = options
  try {
    return await client.workflow.start('drRestoreWorkflow', {
      taskQueue,
      workflowId: DR_WORKFLOW_ID,
      workflowIdConflictPolicy: 'FAIL',
      args: [input],
      typedSearchAttributes: [
        { key: OPS_KIND, value: 'dr' },
        { key: OPS_TARGET, value: input.targetDatabase },
        { key: OPS_TRIGGER, value: 'manual' },
        { key: OPS_STATUS, value: 'queued' },
        { key: DR_STAGE, value: 'none' },
      ],
      memo: input.requestId ? { requestId: input.requestId } : undefined,
    })
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error
    const active = await client.workflow.getHandle(DR_WORKFLOW_ID).query(drStatusQuery).catch(() => null)
    throw new DrAlreadyRunningError(active)
  }
}

/**
 * Returns the report of the latest DR run, running or finished, or null if none ever ran. A
 * completed run's report is its result, read from history, so it needs no worker; any other
 * run is asked by query.
 */
export async function drStatus(client: Client): Promise<DrReport | null> {
  const handle = client.workflow.getHandle<typeof drRestoreWorkflow>(DR_WORKFLOW_ID)
  try {
    const { status } = await handle.describe()
    if (status.name === 'COMPLETED') return await handle.result()
    // A query needs a worker, for a running run and for one that was terminated or timed out.
    return await handle.query(drStatusQuery)
  } catch (error) {
    if ((error as { name?: string }).name === 'WorkflowNotFoundError') return null
    throw error
  }
}

export type DrDecision = 'approve' | 'retry' | 'skip' | 'abort'

/** Thrown when the run rejects a decision, for example a retry of a stage that is not waiting. */
export class DrDecisionRejectedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DrDecisionRejectedError'
  }
}

/** Sends on-call's decision to the active run and returns the workflow's answer. */
export async function decideDr(client: Client, decision: { kind: DrDecision; stage?: DrStage; by: string; reason?: string }): Promise<string> {
  try {
    return await sendDecision(client, decision)
  } catch (error) {
    // The validator's message is the cause; the update error itself only says it failed.
    if (error instanceof WorkflowUpdateFailedError) throw new DrDecisionRejectedError(error.cause?.message ?? error.message)
    throw error
  }
}

async function sendDecision(client: Client, decision: { kind: DrDecision; stage?: DrStage; by: string; reason?: string }): Promise<string> {
  const handle = client.workflow.getHandle(DR_WORKFLOW_ID)
  if (decision.kind === 'abort') return handle.executeUpdate(abortRunUpdate, { args: [{ by: decision.by, reason: decision.reason ?? '' }] })
  if (!decision.stage) throw new Error(`${decision.kind} needs a stage`)

  const update = { approve: approveStageUpdate, retry: retryStageUpdate, skip: skipStageUpdate }[decision.kind]
  return handle.executeUpdate(update, { args: [{ stage: decision.stage, by: decision.by, reason: decision.reason }] })
}
