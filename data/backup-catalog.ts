import type { BackupFormat, BackupManifest, BackupStatus } from '../domain/backup'
import type { OpsTrigger } from '../domain/search-attributes'
import type { Sql } from './db'

/** A backup catalog row as the API, the CLI and the activities read it. */
export interface BackupRecord {
  id: string
  workflowId: string
  databaseName: string
  trigger: OpsTrigger
  format: BackupFormat
  status: BackupStatus
  objectKey: string | null
  manifestKey: string | null
  sizeBytes: number | null
  sha256: string | null
  serverVersion: string | null
  pgDumpVersion: string | null
  tableCount: number | null
  totalRows: number | null
  startedAt: Date
  dumpedAt: Date | null
  verifiedAt: Date | null
  failureReason: string | null
  prunedAt: Date | null
  pruneReason: string | null
}

const COLUMNS = [
  'id',
  'workflow_id',
  'database_name',
  'trigger',
  'format',
  'status',
  'object_key',
  'manifest_key',
  'size_bytes',
  'sha256',
  'server_version',
  'pg_dump_version',
  'table_count',
  'total_rows',
  'started_at',
  'dumped_at',
  'verified_at',
  'failure_reason',
  'pruned_at',
  'prune_reason',
]

interface BackupRow {
  id: string
  workflow_id: string
  database_name: string
  trigger: OpsTrigger
  format: BackupFormat
  status: BackupStatus
  object_key: string | null
  manifest_key: string | null
  size_bytes: string | null
  sha256: string | null
  server_version: string | null
  pg_dump_version: string | null
  table_count: number | null
  total_rows: string | null
  started_at: Date
  dumped_at: Date | null
  verified_at: Date | null
  failure_reason: string | null
  pruned_at: Date | null
  prune_reason: string | null
}

function toRecord(row: BackupRow): BackupRecord {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    databaseName: row.database_name,
    trigger: row.trigger,
    format: row.format,
    status: row.status,
    objectKey: row.object_key,
    manifestKey: row.manifest_key,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    sha256: row.sha256,
    serverVersion: row.server_version,
    pgDumpVersion: row.pg_dump_version,
    tableCount: row.table_count,
    totalRows: row.total_rows === null ? null : Number(row.total_rows),
    startedAt: row.started_at,
    dumpedAt: row.dumped_at,
    verifiedAt: row.verified_at,
    failureReason: row.failure_reason,
    prunedAt: row.pruned_at,
    pruneReason: row.prune_reason,
  }
}

/**
 * Records that a backup run began. A retried activity finds its row already there and resets
 * it to running, so a run never leaves two rows.
 */
export async function insertRunningBackup(
  sql: Sql,
  backup: { id: string; workflowId: string; databaseName: string; trigger: OpsTrigger; format: BackupFormat; startedAt: Date },
): Promise<void> {
  await sql`
    INSERT INTO backup (id, workflow_id, database_name, trigger, format, status, started_at)
    VALUES (${backup.id}, ${backup.workflowId}, ${backup.databaseName}, ${backup.trigger},
            ${backup.format}, 'running', ${backup.startedAt})
    ON CONFLICT (id) DO UPDATE
      SET status = 'running', failure_reason = NULL, updated_at = now()
      WHERE backup.status <> 'verified'`
}

/** Stores the result of the dump: where it lives, its size and checksum. */
export async function markBackupDumped(sql: Sql, manifest: BackupManifest, manifestKey: string): Promise<void> {
  const totalRows = manifest.tables.reduce((sum, table) => sum + table.rows, 0)
  await sql`
    UPDATE backup
       SET status = 'dumped', object_key = ${manifest.objectKey}, manifest_key = ${manifestKey},
           size_bytes = ${manifest.sizeBytes}, sha256 = ${manifest.sha256},
           server_version = ${manifest.serverVersion}, pg_dump_version = ${manifest.pgDumpVersion},
           table_count = ${manifest.tables.length}, total_rows = ${totalRows},
           dumped_at = ${manifest.dumpedAt}, failure_reason = NULL, updated_at = now()
     WHERE id = ${manifest.backupId}`
}

export async function markBackupVerified(sql: Sql, id: string, verifiedAt: Date): Promise<void> {
  await sql`
    UPDATE backup SET status = 'verified', verified_at = ${verifiedAt}, failure_reason = NULL, updated_at = now()
     WHERE id = ${id}`
}

export async function markBackupFailed(sql: Sql, id: string, reason: string): Promise<void> {
  await sql`
    UPDATE backup SET status = 'failed', failure_reason = ${reason}, updated_at = now()
     WHERE id = ${id} AND status <> 'verified'`
}

export async function findBackup(sql: Sql, id: string): Promise<BackupRecord | null> {
  const [row] = await sql<BackupRow[]>`SELECT ${sql(COLUMNS)} FROM backup WHERE id = ${id}`
  return row ? toRecord(row) : null
}

/** Lists backups newest first, optionally of one database. */
export async function listBackups(
  sql: Sql,
  filter: { database?: string; limit: number },
): Promise<BackupRecord[]> {
  const rows = await sql<BackupRow[]>`
    SELECT ${sql(COLUMNS)} FROM backup
     WHERE ${filter.database === undefined ? sql`TRUE` : sql`database_name = ${filter.database}`}
     ORDER BY started_at DESC, id DESC
     LIMIT ${filter.limit}`
  return rows.map(toRecord)
}

/** Returns the newest verified backup of a database, the one a restore should use. */
export async function findLatestVerifiedBackup(sql: Sql, database: string): Promise<BackupRecord | null> {
  const [row] = await sql<BackupRow[]>`
    SELECT ${sql(COLUMNS)} FROM backup
     WHERE database_name = ${database} AND status = 'verified'
     ORDER BY verified_at DESC
     LIMIT 1`
  return row ? toRecord(row) : null
}

/**
 * Inserts or refreshes a catalog row from a manifest found in storage. Used to rebuild the
 * catalog after the database that held it was lost, or after a restore brought back a
 * catalog older than storage (which lists its own backup as still running).
 */
export async function upsertBackupFromManifest(
  sql: Sql,
  manifest: BackupManifest,
  manifestKey: string,
): Promise<void> {
  const status: BackupStatus = manifest.verification?.status ?? 'dumped'
  const totalRows = manifest.tables.reduce((sum, table) => sum + table.rows, 0)
  const verifiedAt = manifest.verification?.status === 'verified' ? manifest.verification.verifiedAt : null

  await sql`
    INSERT INTO backup (id, workflow_id, database_name, trigger, format, status, object_key,
                        manifest_key, size_bytes, sha256, server_version, pg_dump_version,
                        table_count, total_rows, started_at, dumped_at, verified_at, failure_reason)
    VALUES (${manifest.backupId}, ${manifest.workflowId}, ${manifest.database}, ${manifest.trigger},
            ${manifest.format}, ${status}, ${manifest.objectKey}, ${manifestKey},
            ${manifest.sizeBytes}, ${manifest.sha256}, ${manifest.serverVersion},
            ${manifest.pgDumpVersion}, ${manifest.tables.length}, ${totalRows},
            ${manifest.startedAt}, ${manifest.dumpedAt}, ${verifiedAt},
            ${manifest.verification?.reason ?? null})
    ON CONFLICT (id) DO UPDATE
      SET status = EXCLUDED.status, object_key = EXCLUDED.object_key, manifest_key = EXCLUDED.manifest_key,
          size_bytes = EXCLUDED.size_bytes, sha256 = EXCLUDED.sha256, server_version = EXCLUDED.server_version,
          pg_dump_version = EXCLUDED.pg_dump_version, table_count = EXCLUDED.table_count,
          total_rows = EXCLUDED.total_rows, dumped_at = EXCLUDED.dumped_at,
          verified_at = EXCLUDED.verified_at, failure_reason = EXCLUDED.failure_reason, updated_at = now()
      WHERE backup.status <> EXCLUDED.status OR backup.manifest_key IS DISTINCT FROM EXCLUDED.manifest_key`
}

/** Lists the backups of a database that still have files, for the retention counts. */
export async function listBackupsForRetention(sql: Sql, database: string): Promise<BackupRecord[]> {
  const rows = await sql<BackupRow[]>`
    SELECT ${sql(COLUMNS)} FROM backup
     WHERE database_name = ${database} AND status <> 'pruned'
     ORDER BY started_at DESC, id DESC`
  return rows.map(toRecord)
}

/** Marks a backup whose files the retention counts removed; its row stays as history. */
export async function markBackupPruned(sql: Sql, id: string, reason: string): Promise<void> {
  await sql`
    UPDATE backup SET status = 'pruned', pruned_at = now(), prune_reason = ${reason}, updated_at = now()
     WHERE id = ${id} AND status <> 'pruned'`
}
