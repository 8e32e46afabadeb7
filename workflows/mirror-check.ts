import { continueAsNew, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow'
import type { MirrorActivities } from '../activities/mirror'
import { OPS_STATUS } from '../domain/search-attributes'

// Verification and restore read or copy whole objects; heartbeats show each one.
const { verifyMirrorBatch, restoreFromMirrorBatch } = proxyActivities<MirrorActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes: ['MirrorNotConfigured'] },
})

const BATCHES_PER_HISTORY = 20

export interface MirrorVerification {
  checked: number
  missing: number
  differing: number
  examples: string[]
}

/** Compares every primary object with its mirror copy by SHA-256 and reports the differences. */
export async function mirrorVerifyWorkflow(input: { batchSize?: number; resume?: { startAfter: string | null; found: MirrorVerification } } = {}): Promise<MirrorVerification> {
  const batchSize = input.batchSize ?? 200
  let startAfter = input.resume?.startAfter ?? null
  const found = input.resume?.found ?? { checked: 0, missing: 0, differing: 0, examples: [] }
  upsertSearchAttributes([{ key: OPS_STATUS, value: 'verifying' }])

  for (let batch = 0; batch < BATCHES_PER_HISTORY; batch++) {
    const result = await verifyMirrorBatch({ startAfter, batchSize })
    found.checked += result.checked
    found.missing += result.missing
    found.differing += result.differing
    found.examples = [...found.examples, ...result.examples].slice(0, 20)
    startAfter = result.lastKey
    if (result.done) {
      upsertSearchAttributes([{ key: OPS_STATUS, value: found.missing + found.differing === 0 ? 'good' : 'differs' }])
      return found
    }
  }
  return continueAsNew<typeof mirrorVerifyWorkflow>({ batchSize, resume: { startAfter, found } })
}

/** Copies every mirror object that primary storage lacks back into it, after the primary was lost. */
export async function mirrorRestoreWorkflow(
  input: { batchSize?: number; resume?: { startAfter: string | null; restored: number; bytes: number } } = {},
): Promise<{ restored: number; bytes: number }> {
  const batchSize = input.batchSize ?? 200
  let { startAfter, restored, bytes } = input.resume ?? { startAfter: null, restored: 0, bytes: 0 }
  upsertSearchAttributes([{ key: OPS_STATUS, value: 'restoring' }])

  for (let batch = 0; batch < BATCHES_PER_HISTORY; batch++) {
    const result = await restoreFromMirrorBatch({ startAfter, batchSize })
    restored += result.restored
    bytes += result.bytes
    startAfter = result.lastKey
    if (result.done) {
      upsertSearchAttributes([{ key: OPS_STATUS, value: 'succeeded' }])
      return { restored, bytes }
    }
  }
  return continueAsNew<typeof mirrorRestoreWorkflow>({ batchSize, resume: { startAfter, restored, bytes } })
}
