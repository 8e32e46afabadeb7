import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow'
import type { BackupPruningSummary, BackupRetentionActivities } from '../activities/backup-retention'
import { OPS_STATUS } from '../domain/search-attributes'

// Pruning deletes files and marks rows; each step is idempotent, so retrying the whole
// activity after a crash or a storage outage is safe.
const { pruneBackups } = proxyActivities<BackupRetentionActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 6 },
})

/** Prunes one database's backups down to the configured daily, weekly and monthly counts. */
export async function backupRetentionWorkflow(input: { database: string }): Promise<BackupPruningSummary> {
  upsertSearchAttributes([{ key: OPS_STATUS, value: 'pruning' }])
  try {
    const summary = await pruneBackups({ database: input.database })
    upsertSearchAttributes([{ key: OPS_STATUS, value: 'succeeded' }])
    return summary
  } catch (error) {
    upsertSearchAttributes([{ key: OPS_STATUS, value: 'failed' }])
    throw error
  }
}
