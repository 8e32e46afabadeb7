import { defineQuery, defineSignal } from '@temporalio/workflow'
import type { RetentionCounts } from '../domain/retention-runs'

export interface RetentionRunState {
  startedAt: string
  asOf: string
  approved: boolean
  /** Documents are judged first, then students' own records. */
  phase: 'documents' | 'students'
  afterId: string | null
  counts: RetentionCounts
  studentCounts: RetentionCounts
}

export type RetentionRunStatus = 'dry-run' | 'purged' | 'not-approved'

export interface RetentionRunResult {
  status: RetentionRunStatus
  asOf: string
  counts: RetentionCounts
  studentCounts: RetentionCounts
  /** Documents purged. */
  purged: number
  studentsPurged: number
  filesRemoved: number
  mirrorCopiesRemoved: number
  fileRemovalFailures: number
}

export interface RetentionProgress extends RetentionRunState {
  dryRun: boolean
  awaitingApproval: boolean
}

export const approvePurgeSignal = defineSignal<[{ approvedBy: string }]>('approvePurge')
export const retentionProgressQuery = defineQuery<RetentionProgress>('retentionProgress')

