import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow'
import type { MonitoringActivities } from '../activities/monitoring'
import { DATABASE_RPO_MS } from '../domain/dr'
import {
  backupFailedAlertKey,
  backupRpoAlertKey,
  type AlertOutcome,
  type BackupRecency,
  type BackupRpoCheck,
  type BackupRpoWorkflowInput,
} from '../domain/monitoring'
import { OPS_STATUS } from '../domain/search-attributes'

const monitoring = proxyActivities<MonitoringActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['AlertWebhookRejected'] },
})

/**
 * Compares the newest verified backup of each database with the 24-hour RPO and alerts when
 * it is older or missing. A second alert fires while the newest finished backup is a failed
 * one. The first check that finds a problem gone resolves its alert.
 */
export async function backupRpoWorkflow(input: BackupRpoWorkflowInput): Promise<BackupRpoCheck[]> {
  upsertSearchAttributes([{ key: OPS_STATUS, value: 'checking' }])
  const checks: BackupRpoCheck[] = []

  for (const database of input.databases) {
    const recency = await monitoring.readBackupRecency({ database })
    const ageMs = recency.newestVerifiedAt === null ? null : Date.now() - Date.parse(recency.newestVerifiedAt)
    const withinRpo = ageMs !== null && ageMs <= DATABASE_RPO_MS
    const ageHours = ageMs === null ? null : Math.round((ageMs / 3_600_000) * 10) / 10

    const rpo = withinRpo ? await monitoring.resolveAlert({ key: backupRpoAlertKey(database) }) : await fireRpoAlert(recency, ageHours)
    const lastBackupFailed = await checkLastBackup(recency)
    checks.push({ database, ageHours, withinRpo, rpo, lastBackupFailed })
  }

  const healthy = checks.every((check) => check.withinRpo && check.lastBackupFailed.status !== 'firing')
  upsertSearchAttributes([{ key: OPS_STATUS, value: healthy ? 'ok' : 'alerting' }])
  return checks
}

function fireRpoAlert(recency: BackupRecency, ageHours: number | null): Promise<AlertOutcome> {
  const message =
    ageHours === null
      ? `database "${recency.database}" has no verified backup, so nothing meets the 24-hour RPO`
      : `the newest verified backup of "${recency.database}" is ${ageHours} h old, beyond the 24-hour RPO`
  return monitoring.fireAlert({
    key: backupRpoAlertKey(recency.database),
    kind: 'backup-rpo',
    severity: 'critical',
    message,
    details: { database: recency.database, ageHours, newestVerifiedBackup: recency.newestVerifiedId },
  })
}

async function checkLastBackup(recency: BackupRecency): Promise<AlertOutcome> {
  const key = backupFailedAlertKey(recency.database)
  const last = recency.newestFinished
  if (last?.status === 'verified') return monitoring.resolveAlert({ key })
  if (last?.status !== 'failed') return { key, status: 'none', notified: false }

  return monitoring.fireAlert({
    key,
    kind: 'backup-failed',
    severity: 'critical',
    message: `the last backup of "${recency.database}" (${last.id}) failed: ${last.failureReason ?? 'no reason recorded'}`,
    details: { database: recency.database, backupId: last.id },
  })
}
