import { defineQuery, defineUpdate } from '@temporalio/workflow'
import type { DrReport, DrStage } from '../domain/dr'

/** The one workflow id of DR runs, so that only one can run at a time. */
export const DR_WORKFLOW_ID = 'dr-restore'

export interface DrWorkflowInput {
  reason: string
  /** Who started the run: an on-call user's email or the CLI's login name. */
  requestedBy: string
  /** Database to restore into; the application database unless a drill names another. */
  targetDatabase: string
  requestId?: string
  /** Pause between a stage's attempts, in seconds; unset uses each stage's own pause. */
  retryBackoffSeconds?: number
  /**
   * Seconds the restore may go without a heartbeat before Temporal counts the attempt as lost
   * (a killed worker), default 120. Tests shorten it.
   */
  restoreHeartbeatSeconds?: number
  /**
   * Seconds each short stage activity (probe, provision, verify) may run, default 120. A
   * killed worker's attempt is counted lost only after this time. Tests shorten it.
   */
  quickActivitySeconds?: number
}

export const drStatusQuery = defineQuery<DrReport>('drStatus')

export interface StageDecision {
  stage: DrStage
  by: string
  reason?: string
}

/** Confirms a stage that waits for a person, such as a deploy without a hook. */
export const approveStageUpdate = defineUpdate<string, [StageDecision]>('approveStage')
/** Runs a failed stage again. */
export const retryStageUpdate = defineUpdate<string, [StageDecision]>('retryStage')
/** Moves past a waiting or failed stage; the reason is recorded. */
export const skipStageUpdate = defineUpdate<string, [StageDecision]>('skipStage')
/** Ends the run; the reason is recorded. */
export const abortRunUpdate = defineUpdate<string, [{ by: string; reason: string }]>('abortRun')
