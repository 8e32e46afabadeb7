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

  const counts: TableRowCount[] = []
  for (const { qualified } of tables) {
    // The name was quoted by the server's format('%I.%I'), so it is a safe identifier.
    const [row] = await sql.unsafe<{ rows: string }[]>(`SELECT count(*)::bigint AS rows FROM ${qualified}`)
    counts.push({ table: qualified, rows: Number(row?.rows ?? 0) })
    onTable?.(counts.length, tables.length)
  }

  return counts
}
