import type { TableRowCount } from '../domain/backup'
import type { Queryable } from '../data/db'

/**
 * Counts the rows of every user table (partitions included, extension-owned tables left out),
 * keyed by the server-quoted `schema.table` name so odd names compare exactly. Run inside a
 * REPEATABLE READ transaction, the counts match the snapshot a dump of that transaction sees.
 */
export async function countTableRows(
  sql: Queryable,
  onTable?: (done: number, total: number) => void,
): Promise<TableRowCount[]> {
  const tables = await listUserTables(sql)
  const counts: TableRowCount[] = []
  for (const qualified of tables) {
    counts.push({ table: qualified, rows: await countRowsOf(sql, qualified) })
    onTable?.(counts.length, tables.length)
  }

  return counts
}

/**
 * Counts the rows of every user table like countTableRows, with `workers` queries running at
 * once on a pool of at least that many connections. Tables in `known` are not counted again.
 * The counts do not share one snapshot, so use it only on a database no one writes to, such
 * as a fresh restore.
 */
export async function countTableRowsInParallel(sql: Queryable, workers: number, known = new Map<string, number>()): Promise<TableRowCount[]> {
  const tables = await listUserTables(sql)
  const counts = new Map(known)
  const missing = tables.filter((table) => !counts.has(table))
  let next = 0

  const worker = async () => {
    while (next < missing.length) {
      const qualified = missing[next++]!
      counts.set(qualified, await countRowsOf(sql, qualified))
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, workers) }, worker))
  return tables.map((table) => ({ table, rows: counts.get(table) ?? 0 }))
}

/**
 * Returns the row count of every user table of a database that one restore has just filled
 * and that nothing else wrote to. Where a table's rows-inserted statistic equals its count in
 * `expected`, that is its count: every row of it came from the restore's committed COPY, and
 * reading the whole table again would take CPU from the restore. Every other table is counted
 * with count(*), `workers` at once. So a statistic that is late, switched off (track_counts)
 * or blind to rows a template brought costs a count, never a wrong result.
 */
export async function countRestoredRows(sql: Queryable, workers: number, expected: TableRowCount[]): Promise<TableRowCount[]> {
  const expectedRows = new Map(expected.map((table) => [table.table, table.rows]))
  const inserted = await sql<{ qualified: string; rows: string }[]>`
    SELECT format('%I.%I', schemaname, relname) AS qualified, n_tup_ins AS rows FROM pg_stat_user_tables`
  const confirmed = new Map<string, number>()
  for (const row of inserted) {
    if (expectedRows.get(row.qualified) === Number(row.rows)) confirmed.set(row.qualified, Number(row.rows))
  }
  return countTableRowsInParallel(sql, workers, confirmed)
}

async function countRowsOf(sql: Queryable, qualified: string): Promise<number> {
  // The name was quoted by the server's format('%I.%I'), so it is a safe identifier.
  const [row] = await sql.unsafe<{ rows: string }[]>(`SELECT count(*)::bigint AS rows FROM ${qualified}`)
  return Number(row?.rows ?? 0)
}

/** Lists user tables as server-quoted `schema.table` names, in name order. */
async function listUserTables(sql: Queryable): Promise<string[]> {
  const tables = await sql<{ qualified: string }[]>`
    SELECT format('%I.%I', n.nspname, c.relname) AS qualified
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_toast%'
       AND n.nspname NOT LIKE 'pg\\_temp%'
       AND NOT EXISTS (
         SELECT 1 FROM pg_depend d
          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     ORDER BY 1`
  return tables.map((table) => table.qualified)
}
