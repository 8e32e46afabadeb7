import { defineQuery } from '@temporalio/workflow'

/** The stage a backup run has reached, for `backup now` progress and the ops pages. */
export type BackupStage = 'preparing' | 'dumping' | 'verifying' | 'verified' | 'failed'

export interface BackupProgress {
  backupId: string
  stage: BackupStage
  objectKey: string | null
  sizeBytes: number | null
  failureReason: string | null
}

export const backupProgressQuery = defineQuery<BackupProgress>('backupProgress')

export interface BackupWorkflowInput {
  database: string
  trigger: 'schedule' | 'manual'
  /** Request id of the API call or CLI run that started the backup, for log correlation. */
  requestId?: string
  /** Shorter activity timeouts; unset keeps the production ones. */
  timings?: ActivityTimings
}

/**
 * Activity timeouts that fault-injection tests shorten, so that the activity of a killed
 * worker is retried within seconds instead of after the production timeouts of minutes.
 */
export interface ActivityTimings {
  /** Seconds a long activity may go without a heartbeat before its attempt counts as lost. */
  heartbeatSeconds: number
  /** Seconds a short activity, which sends no heartbeats, may run before its attempt counts as lost. */
  shortActivitySeconds: number
  /** Seconds before the first retry of a failed attempt. */
  retrySeconds: number
}

export interface BackupWorkflowResult {
  backupId: string
  objectKey: string
  sizeBytes: number
  sha256: string
  verificationMs: number
}
