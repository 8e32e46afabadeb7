import { continueAsNew, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow'
import type { MirrorActivities } from '../activities/mirror'
import { addCounts, NO_MIRROR_COUNTS, type MirrorCounts, type MirrorRunStatus } from '../domain/mirror'
import { OPS_STATUS } from '../domain/search-attributes'
import type { ActivityTimings } from './definitions'

export interface MirrorWorkflowInput {
  /** Objects a batch activity may read or copy; default 500. */
  batchSize?: number
  /** Objects a batch activity may list, most of them skipped unread; default 10,000. */
  scanLimit?: number
  /** Set by continue-as-new: where the listing goes on, and what the run counted so far. */
  resume?: { runId: string; startedAt: string; startAfter: string | null; counts: MirrorCounts }
  /** Shorter activity timeouts; unset keeps the production ones. */
  timings?: ActivityTimings
}

export interface MirrorRunResult extends MirrorCounts {
  status: MirrorRunStatus
  note: string | null
}

/**
 * Creates the mirror activity proxies with their timeouts and retries. A batch lists up to
 * scanLimit objects and hashes or copies up to batchSize of them. It heartbeats after each
 * page and after each object it reads.
 */
function mirrorActivities(timings: ActivityTimings | undefined) {
  const { mirrorBatch } = proxyActivities<MirrorActivities>({
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: timings ? `${timings.heartbeatSeconds} seconds` : '2 minutes',
    retry: { initialInterval: timings ? `${timings.retrySeconds} seconds` : '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
  })
  const { finishMirrorRun } = proxyActivities<MirrorActivities>({
    startToCloseTimeout: timings ? `${timings.shortActivitySeconds} seconds` : '1 minute',
    retry: { initialInterval: timings ? `${timings.retrySeconds} seconds` : '2 seconds', maximumAttempts: 10 },
  })
  return { mirrorBatch, finishMirrorRun }
}

// Batches per workflow run before continue-as-new, so the history stays small at any size.
const BATCHES_PER_HISTORY = 20

/**
 * Copies what is new or changed in private storage to the mirror, batch by batch through the
 * primary's key order. Only keys and counts pass through the history.
 */
export async function mirrorWorkflow(input: MirrorWorkflowInput = {}): Promise<MirrorRunResult> {
  const info = workflowInfo()
  const { mirrorBatch, finishMirrorRun } = mirrorActivities(input.timings)
  const batchSize = input.batchSize ?? 500
  const scanLimit = input.scanLimit ?? 10_000
  const run = input.resume ?? { runId: info.firstExecutionRunId, startedAt: info.startTime.toISOString(), startAfter: null, counts: NO_MIRROR_COUNTS }
  let { startAfter, counts } = run
  upsertSearchAttributes([{ key: OPS_STATUS, value: 'copying' }])

  for (let batch = 0; batch < BATCHES_PER_HISTORY; batch++) {
    const result = await mirrorBatch({ startAfter, batchSize, scanLimit })
    counts = addCounts(counts, result.counts)
    startAfter = result.lastKey
    if (result.done) {
      const verdict = await finishMirrorRun({ runId: run.runId, workflowId: info.workflowId, startedAt: run.startedAt, counts })
      upsertSearchAttributes([{ key: OPS_STATUS, value: verdict.status }])
      return { ...counts, ...verdict }
    }
  }
  return continueAsNew<typeof mirrorWorkflow>({ batchSize, scanLimit, timings: input.timings, resume: { ...run, startAfter, counts } })
}
