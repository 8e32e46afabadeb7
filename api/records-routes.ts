import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { insertAuditEvent } from '../data/audit'
import type { Queryable, Sql } from '../data/db'
import {
  camelRow,
  deleteRecord,
  findRecord,
  insertRecord,
  listRecords,
  toSnakeCase,
  updateRecord,
  type Fragment,
  type RecordValues,
  type TableSpec,
} from '../data/records'
import type { Permission, Reach } from '../domain/permissions'
import type { AppEnv } from './app'
import { principal, requirePermission } from './authentication'
import { ValidationError } from './errors'
import type { Principal } from './principal'
import type { RouteCatalog } from './route-catalog'
import { decodeCursor, encodeCursor, etagOf, expectedVersion } from './versioning'

export interface RecordRoutesDefinition {
  /** Collection path under /api, for example `/students`. */
  path: string
  tag: string
  /** Entity name written to the audit log. */
  entity: string
  spec: TableSpec
  read: Permission
  write: Permission
  input: z.ZodObject
  record: z.ZodObject
  /** Input fields holding ids that must name a row of this school in the given table. */
  references?: Record<string, string>
  /** Rows the caller may see under a narrower reach; undefined means every row of the school. */
  scope?: (sql: Queryable, caller: Principal, reach: Reach) => Fragment | undefined
  /** Fields shown to a caller with `limited` reach. */
  limitedFields?: readonly string[]
  /** Checks across fields of the record as it will be saved; returns problems by field. */
  check?: (values: RecordValues) => Record<string, string> | null
  /** Runs in the delete's transaction before the row goes; it throws to reject the delete. */
  beforeDelete?: (tx: Queryable, schoolId: string, id: string) => Promise<void>
}

const errorBody = z.object({ error: z.string(), requestId: z.string().optional() }).openapi('Error')
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description })
const idParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) })
const ifMatch = z.object({ 'if-match': z.string().optional().openapi({ description: 'the record version from its ETag' }) })

/** Registers list, get, create, update and delete routes of one school-owned table. */
export function registerRecordRoutes(app: OpenAPIHono<AppEnv>, catalog: RouteCatalog, sql: Sql, definition: RecordRoutesDefinition): void {
  const { path, tag, entity, spec } = definition
  const itemPath = `${path}/{id}`
  const sortKeys = Object.keys(spec.sortable) as [string, ...string[]]
  const filterShape = Object.fromEntries(Object.keys(spec.filters).map((key) => [key, z.string().min(1).max(200).optional()]))
  const listQuery = z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(500).optional(),
    sort: z.enum(sortKeys).default(sortKeys[0]),
    order: z.enum(['asc', 'desc']).default('asc'),
    q: z.string().trim().min(1).max(100).optional(),
    ...filterShape,
  })
  const page = z.object({ items: z.array(definition.record), nextCursor: z.string().nullable() })
  const errors = { 400: json(errorBody, 'invalid request'), 401: json(errorBody, 'not signed in'), 403: json(errorBody, 'not allowed') }

  const present = (row: Record<string, unknown>, reach: Reach): RecordValues => {
    const { schoolId: _school, ...record } = camelRow(row)
    if (reach !== 'limited' || !definition.limitedFields) return record
    return Object.fromEntries(definition.limitedFields.map((field) => [field, record[field]]))
  }
  const scopeFor = (c: Context<AppEnv>) => definition.scope?.(sql, principal(c), c.get('reach'))

  const add = (method: 'get' | 'post' | 'patch' | 'delete', routePath: string, permission: Permission) => {
    catalog.add({ method: method.toUpperCase(), path: `/api${routePath}`, permission })
    return { method, path: `/api${routePath}`, tags: [tag], middleware: [requirePermission(permission)] }
  }

  app.openapi(
    createRoute({ ...add('get', path, definition.read), summary: `List ${tag.toLowerCase()}`, request: { query: listQuery }, responses: { 200: json(page, 'one page'), ...errors } }),
    async (c) => {
      const { limit, cursor, sort, order, q, ...filters } = c.req.valid('query')
      const sortColumn = spec.sortable[sort] ?? 'id'
      const { rows, more } = await listRecords(sql, spec, {
        schoolId: principal(c).schoolId,
        filters: filters as Record<string, string>,
        q,
        sort,
        descending: order === 'desc',
        cursor: cursor === undefined ? undefined : decodeCursor(cursor),
        limit,
        scope: scopeFor(c),
      })
      const last = rows.at(-1)
      const nextCursor = more && last ? encodeCursor(last[sortColumn], String(last.id)) : null
      return c.json({ items: rows.map((row) => present(row, c.get('reach'))), nextCursor } as never, 200)
    },
  )

  app.openapi(
    createRoute({ ...add('get', itemPath, definition.read), summary: `Get one ${entity}`, request: { params: idParam }, responses: { 200: json(definition.record, 'the record'), 404: json(errorBody, 'not found'), ...errors } }),
    async (c) => {
      const { id } = c.req.valid('param')
      const row = await findRecord(sql, spec, principal(c).schoolId, id, scopeFor(c))
      if (!row) throw new HTTPException(404, { message: `${entity} ${id} not found` })
      c.header('ETag', etagOf(row.version as number))
      return c.json(present(row, c.get('reach')) as never, 200)
    },
  )

  app.openapi(
    createRoute({
      ...add('post', path, definition.write),
      summary: `Create a ${entity}`,
      request: { body: { content: { 'application/json': { schema: definition.input } }, required: true } },
      responses: { 201: json(definition.record, 'created'), 409: json(errorBody, 'conflicts with an existing record'), ...errors },
    }),
    async (c) => {
      const caller = principal(c)
      const values = c.req.valid('json') as RecordValues
      await checkInput(sql, caller.schoolId, definition, values)

      const row = await sql.begin(async (tx) => {
        const inserted = await insertRecord(tx, spec, caller.schoolId, snakeKeys(values))
        await audit(tx, c, entity, 'create', String(inserted.id), null, camelRow(inserted))
        return inserted
      })
      c.header('ETag', etagOf(row.version as number))
      c.header('Location', `/api${path}/${row.id}`)
      return c.json(present(row, 'all') as never, 201)
    },
  )

  app.openapi(
    createRoute({
      ...add('patch', itemPath, definition.write),
      summary: `Update a ${entity}`,
      request: { params: idParam, headers: ifMatch, body: { content: { 'application/json': { schema: definition.input.partial() } }, required: true } },
      responses: { 200: json(definition.record, 'updated'), 404: json(errorBody, 'not found'), 409: json(errorBody, 'edited by someone else'), 428: json(errorBody, 'If-Match missing'), ...errors },
    }),
    async (c) => {
      const caller = principal(c)
      const { id } = c.req.valid('param')
      const version = expectedVersion(c.req.header('if-match'))
      const values = c.req.valid('json') as RecordValues
      await checkReferences(sql, caller.schoolId, definition, values)

      const outcome = await sql.begin(async (tx) => {
        const result = await updateRecord(tx, spec, { schoolId: caller.schoolId, id, expectedVersion: version, scope: scopeFor(c) }, snakeKeys(values))
        if (result.status !== 'updated') return result
        checkRecord(definition, camelRow(result.after))
        await audit(tx, c, entity, 'update', id, camelRow(result.before), camelRow(result.after))
        return result
      })
      if (outcome.status === 'not-found') throw new HTTPException(404, { message: `${entity} ${id} not found` })
      if (outcome.status === 'conflict') {
        throw new HTTPException(409, { message: `${entity} ${id} was changed by someone else (now version ${outcome.current.version}); reload it and apply your change again` })
      }
      c.header('ETag', etagOf(outcome.after.version as number))
      return c.json(present(outcome.after, 'all') as never, 200)
    },
  )

  app.openapi(
    createRoute({
      ...add('delete', itemPath, definition.write),
      summary: `Delete a ${entity}`,
      request: { params: idParam, headers: ifMatch },
      responses: { 204: { description: 'deleted' }, 404: json(errorBody, 'not found'), 409: json(errorBody, 'edited by someone else or still referenced'), 428: json(errorBody, 'If-Match missing'), ...errors },
    }),
    async (c) => {
      const caller = principal(c)
      const { id } = c.req.valid('param')
      const version = expectedVersion(c.req.header('if-match'))

      const outcome = await sql.begin(async (tx) => {
        await definition.beforeDelete?.(tx, caller.schoolId, id)
        const result = await deleteRecord(tx, spec, { schoolId: caller.schoolId, id, expectedVersion: version })
        if (result.status === 'deleted') await audit(tx, c, entity, 'delete', id, camelRow(result.before), null)
        return result
      })
      if (outcome.status === 'not-found') throw new HTTPException(404, { message: `${entity} ${id} not found` })
      if (outcome.status === 'conflict') throw new HTTPException(409, { message: `${entity} ${id} was changed by someone else; reload it first` })
      return c.body(null, 204)
    },
  )
}

function snakeKeys(values: RecordValues): RecordValues {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [toSnakeCase(key), value]))
}

async function checkInput(sql: Sql, schoolId: string, definition: RecordRoutesDefinition, values: RecordValues): Promise<void> {
  checkRecord(definition, values)
  await checkReferences(sql, schoolId, definition, values)
}

function checkRecord(definition: RecordRoutesDefinition, values: RecordValues): void {
  const problems = definition.check?.(values)
  if (problems) throw new ValidationError(problems)
}

/** Rejects ids of other schools or of nothing with a 400 naming the field, before any write. */
async function checkReferences(sql: Sql, schoolId: string, definition: RecordRoutesDefinition, values: RecordValues): Promise<void> {
  const problems: Record<string, string> = {}

  for (const [field, table] of Object.entries(definition.references ?? {})) {
    const value = values[field]
    if (value === undefined || value === null) continue
    const [found] = await sql`SELECT 1 FROM ${sql(table)} WHERE id = ${value as string} AND school_id = ${schoolId}`
    if (!found) problems[field] = `does not name a ${table.replace('_', ' ')} of this school`
  }
  if (Object.keys(problems).length > 0) throw new ValidationError(problems)
}

async function audit(tx: Queryable, c: Context<AppEnv>, entity: string, action: string, entityId: string, before: unknown, after: unknown) {
  const caller = principal(c)
  await insertAuditEvent(tx, { schoolId: caller.schoolId, actorId: caller.userId, action, entity, entityId, before, after, requestId: c.get('requestId') })
}
