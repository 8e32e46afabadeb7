/**
 * Error types of backup and restore activities that retrying cannot fix. Workflows list them
 * in `nonRetryableErrorTypes`, and activities raise them as non-retryable failures.
 */
export const NON_RETRYABLE_BACKUP_ERRORS = [
  'DatabaseNotAllowed',
  'DatabaseAccessDenied',
  'DatabaseNotFound',
  'IncompatiblePgDump',
  'PostgresToolMissing',
  'InvalidRestoreTarget',
  'BackupNotFound',
  'BackupNotRestorable',
  'RoleAccessMismatch',
  'MirrorNotConfigured',
  'DocumentStorageMissing',
] as const

export type NonRetryableBackupError = (typeof NON_RETRYABLE_BACKUP_ERRORS)[number]
