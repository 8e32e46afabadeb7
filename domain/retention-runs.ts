import type { RetentionClass } from './retention'

/** Counts of one batch or of a whole run; `expired` documents are the ones a purge removes. */
export interface RetentionCounts {
  evaluated: number
  expired: number
  held: number
  kept: number
  expiredByClass: Record<RetentionClass, number>
}

export const NO_RETENTION_COUNTS: RetentionCounts = { evaluated: 0, expired: 0, held: 0, kept: 0, expiredByClass: { financial: 0, academic: 0, other: 0 } }

export function addRetentionCounts(total: RetentionCounts, batch: RetentionCounts): RetentionCounts {
  return {
    evaluated: total.evaluated + batch.evaluated,
    expired: total.expired + batch.expired,
    held: total.held + batch.held,
    kept: total.kept + batch.kept,
    expiredByClass: {
      financial: total.expiredByClass.financial + batch.expiredByClass.financial,
      academic: total.expiredByClass.academic + batch.expiredByClass.academic,
      other: total.expiredByClass.other + batch.expiredByClass.other,
    },
  }
}

/** Returns the one id of a school's purge runs, so a second cannot start while one waits for approval. */
export function retentionPurgeWorkflowId(slug: string): string {
  return `retention-purge-${slug}`
}

export function retentionDryRunWorkflowId(slug: string, at: Date): string {
  return `retention-dry-run-${slug}-${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}`
}

export const RETENTION_SWEEP_SCHEDULE_ID = 'retention-purge'
