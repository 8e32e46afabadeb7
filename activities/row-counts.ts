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
 * Counts tables while a restore is still loading others. `loaded` queues the count of a table
 * whose data pg_restore has finished, one at a time, and `finish` counts the tables that were
 * not counted yet and returns every user table's count. Partitions are left to `finish`,
 * because a dump loaded through its partition root fills them from other items. A queued
 * count that fails is left to `finish` too.
 */
export function countWhileLoading(sql: Queryable, workers: number) {
  const counted = new Map<string, number>()
  let queue: Promise<void> = Promise.resolve()

  return {
    /** Queues the count; the promise settles once it is done, and never rejects. */
    loaded(schema: string, table: string): Promise<void> {
      queue = queue.then(() => countLoadedTable(sql, schema, table, counted)).catch(() => undefined)
      return queue
    },
    async finish(): Promise<TableRowCount[]> {
      await queue
      return countTableRowsInParallel(sql, workers, counted)
    },
  }
}

async function countLoadedTable(sql: Queryable, schema: string, table: string, counted: Map<string, number>): Promise<void> {
  const [found] = await sql<{ qualified: string }[]>`
    SELECT format('%I.%I', n.nspname, c.relname) AS qualified
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ${schema} AND c.relname = ${table} AND c.relkind = 'r' AND NOT c.relispartition`
  if (found) counted.set(found.qualified, await countRowsOf(sql, found.qualified))
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
