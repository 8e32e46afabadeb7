import { ApplicationFailure } from '@temporalio/common'
import type { NonRetryableBackupError } from '../domain/failures'
import { ToolMissingError } from './postgres-tools'

export function nonRetryable(type: NonRetryableBackupError, message: string, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, cause })
}

// SQLSTATE codes for failures that mean the configuration is wrong, not that the server is busy.
const AUTH_FAILURE_CODES = new Set(['28P01', '28000'])
const MISSING_DATABASE_CODE = '3D000'

/**
 * Turns configuration errors from Postgres or the client tools into non-retryable failures
 * and rethrows everything else unchanged, so connection drops and timeouts are retried.
 */
export function rethrowConfigurationError(error: unknown, database: string): never {
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && AUTH_FAILURE_CODES.has(code)) {
    throw nonRetryable(
      'DatabaseAccessDenied',
      `cannot sign in to database "${database}": check the user and password in DATABASE_URL`,
      error as Error,
    )
  }
  if (code === MISSING_DATABASE_CODE) {
    throw nonRetryable('DatabaseNotFound', `database "${database}" does not exist on the server`, error as Error)
  }
  if (error instanceof ToolMissingError) throw nonRetryable('PostgresToolMissing', error.message, error)
  throw error
}
