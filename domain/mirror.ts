/** Counts of one mirror run, carried from batch to batch and across continue-as-new. */
export interface MirrorCounts {
  scanned: number
  copied: number
  skipped: number
  failed: number
  bytesMoved: number
}

export const NO_MIRROR_COUNTS: MirrorCounts = { scanned: 0, copied: 0, skipped: 0, failed: 0, bytesMoved: 0 }

export function addCounts(a: MirrorCounts, b: MirrorCounts): MirrorCounts {
  return { scanned: a.scanned + b.scanned, copied: a.copied + b.copied, skipped: a.skipped + b.skipped, failed: a.failed + b.failed, bytesMoved: a.bytesMoved + b.bytesMoved }
}

export type MirrorRunStatus = 'good' | 'partial' | 'refused' | 'failed'

/** A primary listing below this share of the last good run's looks like a wrong prefix or lost access. */
export const MIN_LISTING_SHARE = 0.5

/**
 * Judges a finished run: `refused` when the primary listed nothing or far fewer objects than
 * the last good run (so nothing is trusted from that listing), `partial` when objects failed,
 * `good` otherwise.
 */
export function judgeMirrorRun(counts: MirrorCounts, lastGoodScanned: number | null): { status: MirrorRunStatus; note: string | null } {
  if (lastGoodScanned !== null && lastGoodScanned > 0 && counts.scanned < lastGoodScanned * MIN_LISTING_SHARE) {
    return { status: 'refused', note: `the primary listed ${counts.scanned} objects, under half of the last good run's ${lastGoodScanned}; check the storage prefix and credentials` }
  }
  if (counts.failed > 0) return { status: 'partial', note: `${counts.failed} object(s) could not be copied` }
  return { status: 'good', note: null }
}

/** Workflow id of the mirror: one schedule, and manual runs that name their start time. */
export const MIRROR_SCHEDULE_ID = 'mirror-private-storage'
/** Schedule of the daily comparison of primary and mirror. */
export const MIRROR_VERIFY_SCHEDULE_ID = 'mirror-verify'

export function manualMirrorWorkflowId(at: Date): string {
  return `${MIRROR_SCHEDULE_ID}-${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}`
}
