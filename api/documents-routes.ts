import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { insertAuditEvent } from '../data/audit'
import type { Queryable, Sql } from '../data/db'
import { camelRow, deleteRecord, findRecord, insertRecord, listRecords, updateRecord, type Fragment, type TableSpec } from '../data/records'
import { DOCUMENT_CATEGORIES, documentPermission, type DocumentCategory } from '../domain/documents'
import { reachOf, type Action } from '../domain/permissions'
import { documentInput, documentRecord } from '../domain/records'
import type { AppEnv } from './app'
import { principal, requireSignedIn } from './authentication'
import type { Principal } from './principal'
import type { RouteCatalog } from './route-catalog'
import { teacherDocumentScope } from './scopes'
import { findDocumentFileLocation } from '../data/document-files'
import { markPrimaryRemoved, recordFileRemoval, retentionRowsByIds, schoolToday, verdictOf } from '../data/retention'
import type { RetentionRules } from '../domain/retention'
import { documentRetention, RetentionRefusedError, retentionOfDocuments } from './document-retention'
import type { Logger } from '../observability/logger'
import type { DocumentStorage, StoredFile } from '../storage/document-storage'
import { decodeCursor, encodeCursor, etagOf, expectedVersion } from './versioning'

const spec: TableSpec = {
  table: 'document',
  columns: ['id', 'school_id', 'version', 'created_at', 'updated_at', 'category', 'owner_type', 'owner_id', 'title', 'document_date', 'storage_provider', 'file_name', 'content_type', 'size_bytes', 'sha256', 'legal_hold'],
  writable: ['category', 'owner_type', 'owner_id', 'title', 'document_date'],
  sortable: { documentDate: 'document_date', createdAt: 'created_at', title: 'title' },
  filters: { category: 'category', ownerType: 'owner_type', ownerId: 'owner_id' },
  search: ['title'],
}

/**
 * Returns the rows of the categories the caller may act on, as one SQL condition, or null
 * when the caller may act on no category at all. Each category is guarded by its own
 * permission, and a teacher's reach covers only documents of students in their sections.
 */
function visibleDocuments(sql: Queryable, caller: Principal, action: Action): Fragment | null {
  const parts: Fragment[] = []

  for (const category of DOCUMENT_CATEGORIES) {
    const reach = reachOf(caller.roles, documentPermission(category, action))
    if (reach === 'all') parts.push(sql`category = ${category}`)
    else if (reach === 'own-sections') parts.push(sql`(category = ${category} AND ${teacherDocumentScope(sql, caller)})`)
  }
  if (parts.length === 0) return null
  return sql`(${parts.reduce((all, next) => sql`${all} OR ${next}`)})`
}

/** Builds the condition of the documents the caller may see, or throws 403 when no category is reachable. */
export function requireVisibleDocuments(sql: Queryable, c: Context<AppEnv>, action: Action): Fragment {
  const caller = principal(c)
  const scope = visibleDocuments(sql, caller, action)
  if (!scope) throw new HTTPException(403, { message: `roles ${caller.roles.join(', ')} may not ${action} any document category` })
  return scope
}

function present(row: Record<string, unknown>) {
  const { schoolId: _school, ...record } = camelRow(row)
  return { ...record, sizeBytes: record.sizeBytes === null ? null : Number(record.sizeBytes) }
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description })
const idParam = z.object({ id: z.uuid() })
const documentRead = documentRecord.extend({ retention: documentRetention }).openapi('DocumentWithRetention')
const retentionRefusal = z.object({ error: z.string(), rule: z.string(), endsOn: z.string().nullable(), legalHold: z.boolean() })
const updateInput = z.strictObject({ title: documentInput.shape.title, documentDate: documentInput.shape.documentDate }).partial()

/**
 * Registers the document metadata routes; each category is checked against the caller's
 * permissions. Deleting a document also deletes its file, when `storage` is given.
 */
export function registerDocumentRoutes(app: OpenAPIHono<AppEnv>, catalog: RouteCatalog, sql: Sql, rules: RetentionRules, files?: { storage: DocumentStorage; logger: Logger }): void {
  const route = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => {
    catalog.add({ method: method.toUpperCase(), path: `/api${path}`, permission: 'signed-in' })
    return { method, path: `/api${path}`, tags: ['Documents'], middleware: [requireSignedIn()] }
  }

  const listQuery = z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(500).optional(),
    sort: z.enum(['documentDate', 'createdAt', 'title']).default('documentDate'),
    order: z.enum(['asc', 'desc']).default('desc'),
    q: z.string().trim().min(1).max(100).optional(),
    category: z.enum(DOCUMENT_CATEGORIES).optional(),
    ownerType: z.enum(['school', 'student', 'staff']).optional(),
    ownerId: z.uuid().optional(),
  })

  app.openapi(createRoute({ ...route('get', '/documents'), request: { query: listQuery }, responses: { 200: json(z.object({ items: z.array(documentRead), nextCursor: z.string().nullable() }), 'one page') } }), async (c) => {
    const { limit, cursor, sort, order, q, ...filters } = c.req.valid('query')
    const { rows, more } = await listRecords(sql, spec, {
      schoolId: principal(c).schoolId,
      filters: Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)) as Record<string, string>,
      q,
      sort,
      descending: order === 'desc',
      cursor: cursor === undefined ? undefined : decodeCursor(cursor),
      limit,
      scope: requireVisibleDocuments(sql, c, 'read'),
    })
    const last = rows.at(-1)
    const nextCursor = more && last ? encodeCursor(last[spec.sortable[sort] ?? 'id'], String(last.id)) : null
    const retention = await retentionOfDocuments(sql, rules, principal(c).schoolId, rows.map((row) => String(row.id)))
    return c.json({ items: rows.map((row) => ({ ...present(row), retention: retention.get(String(row.id)) })), nextCursor } as never, 200)
  })

  app.openapi(createRoute({ ...route('get', '/documents/{id}'), request: { params: idParam }, responses: { 200: json(documentRead, 'the record, with its retention'), 404: json(z.object({ error: z.string() }), 'not found or not visible') } }), async (c) => {
    const { id } = c.req.valid('param')
    // A document of a category the caller may not read is reported as missing, not forbidden,
    // so its existence does not leak.
    const row = await findRecord(sql, spec, principal(c).schoolId, id, requireVisibleDocuments(sql, c, 'read'))
    if (!row) throw new HTTPException(404, { message: `document ${id} not found` })
    const retention = await retentionOfDocuments(sql, rules, principal(c).schoolId, [id])
    c.header('ETag', etagOf(row.version as number))
    return c.json({ ...present(row), retention: retention.get(id) } as never, 200)
  })

  app.openapi(createRoute({ ...route('post', '/documents'), request: { body: { content: { 'application/json': { schema: documentInput } }, required: true } }, responses: { 201: json(documentRecord, 'created') } }), async (c) => {
    const caller = principal(c)
    const input = c.req.valid('json')
    const category: DocumentCategory = input.category
    if (reachOf(caller.roles, documentPermission(category, 'write')) !== 'all') {
      throw new HTTPException(403, { message: `roles ${caller.roles.join(', ')} may not create ${category} documents` })
    }

    const row = await sql.begin(async (tx) => {
      const inserted = await insertRecord(tx, spec, caller.schoolId, {
        category: input.category,
        owner_type: input.ownerType,
        owner_id: input.ownerId ?? null,
        title: input.title,
        document_date: input.documentDate,
      })
      await insertAuditEvent(tx, { schoolId: caller.schoolId, actorId: caller.userId, action: 'create', entity: 'document', entityId: String(inserted.id), before: null, after: present(inserted), requestId: c.get('requestId') })
      return inserted
    })
    c.header('ETag', etagOf(row.version as number))
    return c.json(present(row) as never, 201)
  })

  app.openapi(createRoute({ ...route('patch', '/documents/{id}'), request: { params: idParam, body: { content: { 'application/json': { schema: updateInput } }, required: true } }, responses: { 200: json(documentRecord, 'updated') } }), async (c) => {
    const caller = principal(c)
    const { id } = c.req.valid('param')
    const version = expectedVersion(c.req.header('if-match'))
    const input = c.req.valid('json')
    const changes = { ...(input.title ? { title: input.title } : {}), ...(input.documentDate ? { document_date: input.documentDate } : {}) }

    const outcome = await sql.begin(async (tx) => {
      const result = await updateRecord(tx, spec, { schoolId: caller.schoolId, id, expectedVersion: version, scope: requireVisibleDocuments(tx, c, 'write') }, changes)
      if (result.status === 'updated') {
        await insertAuditEvent(tx, { schoolId: caller.schoolId, actorId: caller.userId, action: 'update', entity: 'document', entityId: id, before: present(result.before), after: present(result.after), requestId: c.get('requestId') })
      }
      return result
    })
    if (outcome.status === 'not-found') throw new HTTPException(404, { message: `document ${id} not found` })
    if (outcome.status === 'conflict') throw new HTTPException(409, { message: `document ${id} was changed by someone else; reload it first` })
    c.header('ETag', etagOf(outcome.after.version as number))
    return c.json(present(outcome.after) as never, 200)
  })

  app.openapi(createRoute({ ...route('delete', '/documents/{id}'), request: { params: idParam }, responses: { 204: { description: 'deleted' }, 409: json(retentionRefusal, 'retention or a legal hold forbids the delete, or someone else saved first') } }), async (c) => {
    const caller = principal(c)
    const { id } = c.req.valid('param')
    const version = expectedVersion(c.req.header('if-match'))
    const visible = await findRecord(sql, spec, caller.schoolId, id, requireVisibleDocuments(sql, c, 'write'))
    if (!visible) throw new HTTPException(404, { message: `document ${id} not found` })
    const location = await findDocumentFileLocation(sql, caller.schoolId, id)

    // The row lock taken by the retention read holds until commit, so a legal hold placed
    // meanwhile either commits first and refuses this delete, or waits for it.
    const today = await schoolToday(sql, caller.schoolId)
    const outcome = await sql.begin(async (tx) => {
      const [facts] = await retentionRowsByIds(tx, caller.schoolId, [id], true)
      if (facts) {
        const verdict = verdictOf(facts, rules, today)
        if (!verdict.deletable) throw new RetentionRefusedError(`document ${id}`, verdict)
      }
      const result = await deleteRecord(tx, spec, { schoolId: caller.schoolId, id, expectedVersion: version })
      if (result.status === 'deleted') {
        await insertAuditEvent(tx, { schoolId: caller.schoolId, actorId: caller.userId, action: 'delete', entity: 'document', entityId: id, before: present(result.before), after: null, requestId: c.get('requestId') })
        if (facts) await recordFileRemoval(tx, facts, 'deleted')
      }
      return result
    })
    if (outcome.status === 'conflict') throw new HTTPException(409, { message: `document ${id} was changed by someone else; reload it first` })
    if (location && files) await removeFile(sql, files, id, { ...location, contentType: String(visible.content_type), category: visible.category as DocumentCategory, fileName: String(visible.file_name) })
    return c.body(null, 204)
  })
}

// The row is deleted first, with a document_file_removal row in the same transaction, so a
// failed file delete leaves a pending removal that the daily retention run retries.
async function removeFile(sql: Sql, files: { storage: DocumentStorage; logger: Logger }, documentId: string, file: StoredFile): Promise<void> {
  try {
    await files.storage.remove(file)
    await markPrimaryRemoved(sql, file.provider, file.key)
  } catch (error) {
    files.logger.error({ err: error, documentId, provider: file.provider }, 'document deleted but its file could not be removed; the daily retention run will retry')
  }
}
