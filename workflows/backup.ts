import {
  ApplicationFailure,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow'
import type { BackupActivities } from '../activities/backup'
import { backupIdFromWorkflowId } from '../domain/backup'
import { OPS_STATUS } from '../domain/search-attributes'
import { NON_RETRYABLE_BACKUP_ERRORS } from '../domain/failures'
import {
  backupProgressQuery,
  type BackupProgress,
  type BackupStage,
  type ActivityTimings,
  type BackupWorkflowInput,
  type BackupWorkflowResult,
} from './definitions'

const nonRetryableErrorTypes = [...NON_RETRYABLE_BACKUP_ERRORS]

/**
 * Creates the backup activity proxies with their timeouts and retries. Checks and catalog
 * writes are quick, and a few attempts ride out a Postgres restart. Dumps and restore drills
 * run as long as the database is big, and heartbeats show they are alive.
 */
function backupActivities(timings: ActivityTimings | undefined) {
  const { prepareBackup, recordBackupFailure } = proxyActivities<BackupActivities>({
    startToCloseTimeout: timings ? `${timings.shortActivitySeconds} seconds` : '1 minute',
    retry: { initialInterval: timings ? `${timings.retrySeconds} seconds` : '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8, nonRetryableErrorTypes },
  })
  const { dumpDatabase, verifyBackup } = proxyActivities<BackupActivities>({
    startToCloseTimeout: '6 hours',
    heartbeatTimeout: timings ? `${timings.heartbeatSeconds} seconds` : '1 minute',
    retry: { initialInterval: timings ? `${timings.retrySeconds} seconds` : '30 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 4, nonRetryableErrorTypes },
  })
  return { prepareBackup, recordBackupFailure, dumpDatabase, verifyBackup }
}

/**
 * Backs up one database and proves the backup by restoring it: prepare (version checks and
 * a catalog row), dump into storage in one snapshot, then a restore drill that compares row
 * counts. Only keys and sizes pass through the history, never the dump itself.
 */
export async function backupWorkflow(input: BackupWorkflowInput): Promise<BackupWorkflowResult> {
  const info = workflowInfo()
  const { prepareBackup, recordBackupFailure, dumpDatabase, verifyBackup } = backupActivities(input.timings)
  const run = {
    backupId: backupIdFromWorkflowId(info.workflowId),
    workflowId: info.workflowId,
    database: input.database,
    trigger: input.trigger,
    startedAt: info.startTime.toISOString(),
  }
  const progress: BackupProgress = { backupId: run.backupId, stage: 'preparing', objectKey: null, sizeBytes: null, failureReason: null }
  setHandler(backupProgressQuery, () => progress)

  const enter = (stage: BackupStage) => {
    progress.stage = stage
    upsertSearchAttributes([{ key: OPS_STATUS, value: stage }])
  }

  try {
    enter('preparing')
    const versions = await prepareBackup(run)

    enter('dumping')
    const dump = await dumpDatabase({ ...run, ...versions })
    progress.objectKey = dump.objectKey
    progress.sizeBytes = dump.sizeBytes

    enter('verifying')
    const verification = await verifyBackup({ backupId: run.backupId, manifestKey: dump.manifestKey })
    if (verification.status === 'failed') {
      throw ApplicationFailure.create({
        type: 'BackupVerificationFailed',
        message: `backup ${run.backupId} failed its restore drill: ${verification.reason}`,
        nonRetryable: true,
      })
    }

    enter('verified')
    log.info('backup completed', { backupId: run.backupId, sizeBytes: dump.sizeBytes, requestId: input.requestId })
    return { backupId: run.backupId, objectKey: dump.objectKey, sizeBytes: dump.sizeBytes, sha256: dump.sha256, verificationMs: verification.durationMs }
  } catch (error) {
    progress.failureReason = failureMessage(error)
    enter('failed')
    await recordBackupFailure({ backupId: run.backupId, reason: progress.failureReason })
    throw error
  }
}

function failureMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? error.cause.message : null
    return cause && cause !== error.message ? `${error.message}: ${cause}` : error.message
  }
  return String(error)
}
