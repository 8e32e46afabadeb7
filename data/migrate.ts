import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Sql } from './db'

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url))

// Any constant works; it only has to be the same for every process that migrates.
const MIGRATION_LOCK_KEY = 4_815_162_342

export interface Migration {
  version: string
  fileName: string
  sql: string
  checksum: string
}

/** Thrown when an applied migration's file was edited afterwards. */
export class MigrationChangedError extends Error {
  constructor(readonly fileName: string) {
    super(
      `migration ${fileName} was changed after it was applied; ` +
        'restore the original file and add a new migration instead',
    )
    this.name = 'MigrationChangedError'
  }
}

/** Reads `NNNN_name.sql` files in version order. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const fileNames = (await readdir(dir)).filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name)).sort()

  return Promise.all(
    fileNames.map(async (fileName) => {
      const sql = await readFile(`${dir}/${fileName}`, 'utf8')
      const checksum = createHash('sha256').update(sql).digest('hex')
      return { version: fileName.slice(0, 4), fileName, sql, checksum }
    }),
  )
}

/**
 * Applies pending migrations in one transaction, so a failing file leaves the schema as it
 * was, and returns the files applied. An advisory lock serialises processes that start
 * together (API, worker, tests); a checksum per file detects a migration edited after it ran.
 */
export async function migrate(sql: Sql, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations())
  const applied: string[] = []

  await sql.begin(async (sql) => {
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`
    await sql`
      CREATE TABLE IF NOT EXISTS schema_migration (
        version     text PRIMARY KEY,
        file_name   text NOT NULL,
        checksum    text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
      )`

    const rows = await sql<{ version: string; checksum: string }[]>`
      SELECT version, checksum FROM schema_migration`
    const checksums = new Map(rows.map((row) => [row.version, row.checksum]))

    for (const migration of all) {
      const existing = checksums.get(migration.version)
      if (existing === migration.checksum) continue
      if (existing !== undefined) throw new MigrationChangedError(migration.fileName)

      await sql.unsafe(migration.sql)
      await sql`
        INSERT INTO schema_migration (version, file_name, checksum)
        VALUES (${migration.version}, ${migration.fileName}, ${migration.checksum})`
      applied.push(migration.fileName)
    }
  })

  return applied
}
