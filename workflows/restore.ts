import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow'
import type { RestoreActivities, RestoreRequest, RestoreResult } from '../activities/restore'
import { NON_RETRYABLE_BACKUP_ERRORS } from '../domain/failures'
import { OPS_STATUS } from '../domain/search-attributes'

const { restoreBackup } = proxyActivities<RestoreActivities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '30 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [...NON_RETRYABLE_BACKUP_ERRORS],
  },
})

/**
 * Restores one backup into a target database: `pg_restore -j` into a new staging database,
 * row counts compared with the backup's snapshot, then the staging database replaces the
 * target. Each retry starts again from an empty staging database.
 */
export async function restoreWorkflow(request: RestoreRequest): Promise<RestoreResult> {
  upsertSearchAttributes([{ key: OPS_STATUS, value: 'restoring' }])

  try {
    const result = await restoreBackup(request)
    upsertSearchAttributes([{ key: OPS_STATUS, value: result.rowCountMismatch === null ? 'restored' : 'restored-with-mismatch' }])
    return result
  } catch (error) {
    upsertSearchAttributes([{ key: OPS_STATUS, value: 'failed' }])
    throw error
  }
}
