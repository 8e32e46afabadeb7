import type { PendingQuery, Row } from 'postgres'
import type { Queryable } from './db'

/** A SQL fragment built with the tagged template, for filters and scopes. */
export type Fragment = PendingQuery<Row[]>

/** How a school-owned table is read and written through the generic record routes. */
export interface TableSpec {
  table: string
  /** Columns returned by reads, in snake_case; `id`, `version` and timestamps included. */
  columns: readonly string[]
  /** Columns a create or update may set. */
  writable: readonly string[]
  /** Sort keys offered to clients, each mapped to a NOT NULL column. */
  sortable: Record<string, string>
  /** Equality filters offered to clients, mapped to a column or a fragment builder. */
  filters: Record<string, string | ((sql: Queryable, value: string) => Fragment)>
  /** Columns searched, case-insensitively, by `?q=`. */
  search: readonly string[]
  /** Column naming the owning school; `school_id` unless the table is the school itself. */
  tenantColumn?: string
}

const tenant = (sql: Queryable, spec: TableSpec, schoolId: string): Fragment => sql`${sql(spec.tenantColumn ?? 'school_id')} = ${schoolId}`

export type RecordValues = Record<string, unknown>

export interface ListQuery {
  schoolId: string
  filters: Record<string, string>
  q?: string
  sort: string
  descending: boolean
  cursor?: { value: unknown; id: string }
  limit: number
  /** Restricts rows to what the caller may see, for example a teacher's sections. */
  scope?: Fragment
}

export function toSnakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
}

export function toCamelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())
}

// Column names are few and fixed, so each is converted once; lists convert thousands of keys.
const camelNames = new Map<string, string>()

/** Maps a snake_case row to a camelCase record. */
export function camelRow(row: Row): RecordValues {
  const record: RecordValues = {}
  for (const key in row) {
    let name = camelNames.get(key)
    if (name === undefined) {
      name = toCamelCase(key)
      camelNames.set(key, name)
    }
    record[name] = row[key]
  }
  return record
}

function conditions(sql: Queryable, spec: TableSpec, query: ListQuery): Fragment[] {
  const parts: Fragment[] = [tenant(sql, spec, query.schoolId)]

  for (const [name, value] of Object.entries(query.filters)) {
    const filter = spec.filters[name]
    if (filter === undefined) continue
    parts.push(typeof filter === 'string' ? sql`${sql(filter)} = ${value}` : filter(sql, value))
  }
  if (query.q) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (character) => `\\${character}`)}%`
    const searched = spec.search.map((column) => sql`${sql(column)} ILIKE ${pattern}`)
    parts.push(sql`(${searched.reduce((all, next) => sql`${all} OR ${next}`)})`)
  }
  if (query.cursor) {
    const column = sql(spec.sortable[query.sort] ?? 'id')
    parts.push(
      query.descending
        ? sql`(${column}, id) < (${query.cursor.value as string}, ${query.cursor.id})`
        : sql`(${column}, id) > (${query.cursor.value as string}, ${query.cursor.id})`,
    )
  }
  if (query.scope) parts.push(query.scope)
  return parts
}

function where(sql: Queryable, parts: Fragment[]): Fragment {
  return parts.reduce((all, next) => sql`${all} AND ${next}`)
}

/** Lists one page of rows in keyset order; asks for one row more to know if a next page exists. */
export async function listRecords(sql: Queryable, spec: TableSpec, query: ListQuery): Promise<{ rows: Row[]; more: boolean }> {
  const column = sql(spec.sortable[query.sort] ?? 'id')
  const direction = query.descending ? sql`DESC` : sql`ASC`
  const rows = await sql`
    SELECT ${sql(spec.columns)} FROM ${sql(spec.table)}
     WHERE ${where(sql, conditions(sql, spec, query))}
     ORDER BY ${column} ${direction}, id ${direction}
     LIMIT ${query.limit + 1}`
  return { rows: rows.slice(0, query.limit), more: rows.length > query.limit }
}

export async function findRecord(sql: Queryable, spec: TableSpec, schoolId: string, id: string, scope?: Fragment): Promise<Row | null> {
  const parts = [tenant(sql, spec, schoolId), sql`id = ${id}`, ...(scope ? [scope] : [])]
  const [row] = await sql`SELECT ${sql(spec.columns)} FROM ${sql(spec.table)} WHERE ${where(sql, parts)}`
  return row ?? null
}

export async function insertRecord(sql: Queryable, spec: TableSpec, schoolId: string, values: RecordValues): Promise<Row> {
  const row = { ...values, school_id: schoolId }
  const columns = [...Object.keys(values).filter((column) => spec.writable.includes(column)), 'school_id']
  const [inserted] = await sql`INSERT INTO ${sql(spec.table)} ${sql(row, columns)} RETURNING ${sql(spec.columns)}`
  if (!inserted) throw new Error(`INSERT INTO ${spec.table} returned no row`)
  return inserted
}

export type UpdateOutcome = { status: 'updated'; before: Row; after: Row } | { status: 'not-found' } | { status: 'conflict'; current: Row }

/**
 * Updates a row when its version still equals `expectedVersion`, incrementing the version.
 * The row is locked first, so two updates of one row are decided one after the other.
 */
export async function updateRecord(
  sql: Queryable,
  spec: TableSpec,
  target: { schoolId: string; id: string; expectedVersion: number; scope?: Fragment },
  values: RecordValues,
): Promise<UpdateOutcome> {
  const parts = [tenant(sql, spec, target.schoolId), sql`id = ${target.id}`, ...(target.scope ? [target.scope] : [])]
  const [before] = await sql`SELECT ${sql(spec.columns)} FROM ${sql(spec.table)} WHERE ${where(sql, parts)} FOR UPDATE`
  if (!before) return { status: 'not-found' }
  if (before.version !== target.expectedVersion) return { status: 'conflict', current: before }

  const columns = Object.keys(values).filter((column) => spec.writable.includes(column))
  // postgres.js recognises its update helper only right after SET, so an empty change is a
  // separate statement that still bumps the version.
  const [after] =
    columns.length > 0
      ? await sql`
          UPDATE ${sql(spec.table)} SET ${sql(values, columns)}, version = version + 1, updated_at = now()
           WHERE id = ${target.id}
          RETURNING ${sql(spec.columns)}`
      : await sql`
          UPDATE ${sql(spec.table)} SET version = version + 1, updated_at = now()
           WHERE id = ${target.id}
          RETURNING ${sql(spec.columns)}`
  if (!after) throw new Error(`UPDATE ${spec.table} returned no row`)
  return { status: 'updated', before, after }
}

export type DeleteOutcome = { status: 'deleted'; before: Row } | { status: 'not-found' } | { status: 'conflict'; current: Row }

export async function deleteRecord(
  sql: Queryable,
  spec: TableSpec,
  target: { schoolId: string; id: string; expectedVersion: number },
): Promise<DeleteOutcome> {
  const [before] = await sql`
    SELECT ${sql(spec.columns)} FROM ${sql(spec.table)}
     WHERE ${tenant(sql, spec, target.schoolId)} AND id = ${target.id} FOR UPDATE`
  if (!before) return { status: 'not-found' }
  if (before.version !== target.expectedVersion) return { status: 'conflict', current: before }

  await sql`DELETE FROM ${sql(spec.table)} WHERE id = ${target.id}`
  return { status: 'deleted', before }
}
