import { z } from 'zod'

/** PostgreSQL identifiers we accept as database names for backup and restore targets. */
export const databaseName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_-]{0,62}$/, 'must be a database name of letters, digits, _ or -')

export type BackupFormat = 'custom' | 'plain'

export type BackupStatus = 'running' | 'dumped' | 'verified' | 'failed' | 'pruned'

/** Row count of one table, schema-qualified, as compared between source and restore drill. */
export const tableRowCount = z.object({ table: z.string(), rows: z.number().int().nonnegative() })
export type TableRowCount = z.infer<typeof tableRowCount>

/** A school whose rows a backup contains. All schools share one database, so one backup has many. */
export const backupSchool = z.object({ id: z.string(), slug: z.string() })
export type BackupSchool = z.infer<typeof backupSchool>

/**
 * The manifest written beside every backup object. It is enough to rebuild the catalog row
 * when the database that holds the catalog is the thing that was lost.
 */
export const backupManifest = z.object({
  manifestVersion: z.literal(1),
  backupId: z.string(),
  workflowId: z.string(),
  trigger: z.enum(['schedule', 'manual']),
  database: z.string(),
  format: z.enum(['custom', 'plain']),
  objectKey: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  serverVersion: z.string(),
  pgDumpVersion: z.string(),
  startedAt: z.string(),
  dumpedAt: z.string(),
  tables: z.array(tableRowCount),
  /**
   * The schools in the dumped database, read in the dump's snapshot. It is empty for a
   * database without a `school` table and absent from manifests written before it existed.
   */
  schools: z.array(backupSchool).optional(),
  verification: z
    .object({
      status: z.enum(['verified', 'failed']),
      verifiedAt: z.string(),
      reason: z.string().nullable(),
    })
    .nullable(),
})
export type BackupManifest = z.infer<typeof backupManifest>

const FILE_EXTENSION: Record<BackupFormat, string> = { custom: 'dump', plain: 'sql' }

/**
 * Builds the storage key of a backup: `backups/<database>/<yyyy>/<mm>/<dd>/<backupId>.<ext>`,
 * dated in UTC by the moment the backup started.
 */
export function backupObjectKey(input: {
  database: string
  backupId: string
  startedAt: Date
  format: BackupFormat
}): string {
  const iso = input.startedAt.toISOString()
  const [year, month, day] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)]
  const fileName = `${input.backupId}.${FILE_EXTENSION[input.format]}`
  return `backups/${input.database}/${year}/${month}/${day}/${fileName}`
}

export function manifestKeyFor(objectKey: string): string {
  return `${objectKey}.manifest.json`
}

/** Recovers the backup id from a manifest key built by backupObjectKey and manifestKeyFor. */
export function backupIdFromManifestKey(manifestKey: string): string {
  const fileName = manifestKey.slice(manifestKey.lastIndexOf('/') + 1)
  return fileName.replace(/\.(dump|sql)\.manifest\.json$/, '')
}

/** Turns a workflow id into a backup id usable in object keys and database names. */
export function backupIdFromWorkflowId(workflowId: string): string {
  return workflowId.replace(/[^a-zA-Z0-9_-]+/g, '-').replace(/-+$/, '')
}

export interface RowCountMismatch {
  table: string
  expected: number | null
  actual: number | null
}

/**
 * Lists every table whose row count differs between the source snapshot and the restored
 * copy, including tables present on one side only (reported with a null count).
 */
export function compareRowCounts(
  source: readonly TableRowCount[],
  restored: readonly TableRowCount[],
): RowCountMismatch[] {
  const restoredByTable = new Map(restored.map((entry) => [entry.table, entry.rows]))
  const mismatches: RowCountMismatch[] = []

  for (const { table, rows } of source) {
    const actual = restoredByTable.get(table)
    if (actual !== rows) mismatches.push({ table, expected: rows, actual: actual ?? null })
    restoredByTable.delete(table)
  }
  for (const [table, rows] of restoredByTable) {
    mismatches.push({ table, expected: null, actual: rows })
  }

  return mismatches
}

/** Describes row count mismatches in one line for a catalog reason or an alert. */
export function describeMismatches(mismatches: readonly RowCountMismatch[]): string {
  const shown = mismatches
    .slice(0, 5)
    .map((m) => `${m.table} expected ${m.expected ?? 'absent'}, restored ${m.actual ?? 'absent'}`)
  const more = mismatches.length > 5 ? ` and ${mismatches.length - 5} more` : ''
  return `row counts differ in ${mismatches.length} table(s): ${shown.join('; ')}${more}`
}

/** Extracts the major version from `pg_dump --version` output or a server_version string. */
export function postgresMajorVersion(versionText: string): number {
  const match = /(\d+)(?:\.(\d+))?/.exec(versionText)
  if (!match?.[1]) throw new Error(`no PostgreSQL version number in "${versionText}"`)
  return Number(match[1])
}

/**
 * Returns why pg_dump cannot back up the server, or null when it can. pg_dump reads servers of
 * its own major version or older, never newer ones, and a backup that silently stops working
 * after a server upgrade is the failure to guard against.
 */
export function dumpIncompatibility(pgDumpMajor: number, serverMajor: number): string | null {
  if (pgDumpMajor >= serverMajor) return null
  return (
    `pg_dump ${pgDumpMajor} cannot dump a PostgreSQL ${serverMajor} server; ` +
    `install the PostgreSQL ${serverMajor} client tools on the worker`
  )
}
