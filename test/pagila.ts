import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { withDatabase, type Sql } from '../data/db'
import { FIXTURES, SERVER_URL } from './support'

/** Loads the pagila sample database into an existing empty database with psql. */
export function loadPagila(database: string): void {
  for (const file of ['pagila-schema.sql', 'pagila-data.sql']) {
    const result = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', withDatabase(SERVER_URL, database), '-f', join(FIXTURES, 'pagila', file)], {
      encoding: 'utf8',
    })
    if (result.status !== 0) throw new Error(`loading ${file} into ${database} failed: ${result.stderr}`)
  }
}

/**
 * Returns an MD5 of every row of every user table, keyed by table, so two databases can be
 * compared row for row and not only by count.
 */
export async function tableChecksums(sql: Sql): Promise<Record<string, string>> {
  const tables = await sql<{ qualified: string }[]>`
    SELECT format('%I.%I', n.nspname, c.relname) AS qualified
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     ORDER BY 1`
  const checksums: Record<string, string> = {}

  for (const { qualified } of tables) {
    const [row] = await sql.unsafe<{ checksum: string | null }[]>(
      `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS checksum FROM ${qualified} t`,
    )
    checksums[qualified] = row?.checksum ?? ''
  }
  return checksums
}
