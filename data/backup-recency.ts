import type { BackupRecency } from '../domain/monitoring'
import type { Sql } from './db'

/**
 * Reads the newest verified backup of a database (by dump time, the recovery point it
 * offers) and the newest finished backup, whose status shows whether the last run failed.
 */
export async function readBackupRecency(sql: Sql, database: string): Promise<BackupRecency> {
  const [verified] = await sql<{ id: string; dumped_at: Date }[]>`
    SELECT id, dumped_at FROM backup
     WHERE database_name = ${database} AND status = 'verified' AND dumped_at IS NOT NULL
     ORDER BY dumped_at DESC LIMIT 1`
  const [finished] = await sql<{ id: string; status: 'verified' | 'failed'; failure_reason: string | null }[]>`
    SELECT id, status, failure_reason FROM backup
     WHERE database_name = ${database} AND status IN ('verified', 'failed')
     ORDER BY started_at DESC, id DESC LIMIT 1`

  return {
    database,
    newestVerifiedAt: verified?.dumped_at.toISOString() ?? null,
    newestVerifiedId: verified?.id ?? null,
    newestFinished: finished ? { id: finished.id, status: finished.status, failureReason: finished.failure_reason } : null,
  }
}
