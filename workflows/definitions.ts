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
}

export interface BackupWorkflowResult {
  backupId: string
  objectKey: string
  sizeBytes: number
  sha256: string
  verificationMs: number
}
