import { defineQuery, defineSignal } from '@temporalio/workflow'
import type { RetentionCounts } from '../domain/retention-runs'

export interface RetentionRunState {
  startedAt: string
  asOf: string
  approved: boolean
  afterId: string | null
  counts: RetentionCounts
}

export type RetentionRunStatus = 'dry-run' | 'purged' | 'not-approved'

export interface RetentionRunResult {
  status: RetentionRunStatus
  asOf: string
  counts: RetentionCounts
  purged: number
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

