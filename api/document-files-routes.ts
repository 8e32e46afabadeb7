import { z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { Readable } from 'node:stream'
import type { StorageConfig } from '../config'
import { insertAuditEvent } from '../data/audit'
import type { Sql } from '../data/db'
import { camelRow, findRecord, type TableSpec } from '../data/records'
import { CLASSIFICATION, type DocumentCategory, type StorageProvider } from '../domain/documents'
import { documentInput, documentRecord } from '../domain/records'
import { isInsideFolder } from '../domain/storage-keys'
import type { RetentionRules } from '../domain/retention'
import type { Logger } from '../observability/logger'
import { contentDisposition } from '../storage/disposition'
import type { DocumentStorage, StoredFile } from '../storage/document-storage'
import { InvalidLinkError } from '../storage/local-links'
import { ObjectNotFoundError } from '../storage/object-store'
import type { AppEnv } from './app'
import { principal, requirePermission, requireSignedIn } from './authentication'
import { checkUpload, httpErrorOf, storeDocumentUpload, type DocumentFields, type UploadContext } from './document-upload'
import { requireVisibleDocuments } from './documents-routes'
import { parseOrReject, ValidationError } from './errors'
import type { RouteCatalog } from './route-catalog'
import { receiveUpload } from './uploads'

export interface DocumentFileDependencies {
  sql: Sql
  storage: DocumentStorage
  settings: StorageConfig
  retentionRules: RetentionRules
  logger: Logger
}

const fileSpec: TableSpec = {
  table: 'document',
  columns: ['id', 'category', 'title', 'storage_provider', 'storage_key', 'file_name', 'content_type', 'size_bytes'],
  writable: [],
  sortable: {},
  filters: {},
  search: [],
}

// Form fields arrive as strings; an empty ownerId means none.
const uploadFields = documentInput.extend({ ownerId: z.preprocess((value) => (value === '' ? null : value), z.uuid().nullable().optional()) })

const uploadForm = z.object({
  category: documentInput.shape.category,
  ownerType: documentInput.shape.ownerType,
  ownerId: z.string().optional(),
  title: z.string(),
  documentDate: z.string(),
  file: z.string().openapi({ format: 'binary', description: 'the file, sent after the other fields' }),
})

/**
 * Registers uploading, downloading and the school logo upload, plus the route that serves
 * signed links to local files. Downloads check the caller's read permission first.
 */
export function registerDocumentFileRoutes(app: OpenAPIHono<AppEnv>, catalog: RouteCatalog, deps: DocumentFileDependencies): void {
  const context = (c: Context<AppEnv>): UploadContext => ({ ...deps, caller: principal(c), requestId: c.get('requestId') })

  catalog.add({ method: 'POST', path: '/api/documents/upload', permission: 'signed-in' })
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/api/documents/upload',
    tags: ['Documents'],
    summary: `Upload a document file (multipart; at most ${deps.settings.maxUploadBytes} bytes)`,
    request: { body: { content: { 'multipart/form-data': { schema: uploadForm } }, required: true } },
    responses: { 201: { description: 'stored and recorded', content: { 'application/json': { schema: documentRecord } } }, 413: { description: 'file too large' }, 503: { description: 'storage provider unavailable; nothing saved' } },
  })
  app.post('/api/documents/upload', requireSignedIn(), async (c) => {
    const upload = await receiveUpload(c.req.raw, deps.settings.maxUploadBytes)
    try {
      const fields = parseOrReject(uploadFields, upload.fields)
      const document: DocumentFields = { ...fields, ownerId: fields.ownerId ?? null }
      await checkUpload(context(c), document)
      const row = await storeDocumentUpload(context(c), document, upload)
      return c.json(presentDocument(row), 201)
    } finally {
      // Reading the rest lets the connection finish when the upload was rejected early.
      upload.file.resume()
    }
  })

  catalog.add({ method: 'PUT', path: '/api/settings/logo', permission: 'settings:write' })
  app.openAPIRegistry.registerPath({
    method: 'put',
    path: '/api/settings/logo',
    tags: ['Settings'],
    summary: 'Upload the school logo (an image, multipart part named file)',
    request: { body: { content: { 'multipart/form-data': { schema: z.object({ file: uploadForm.shape.file }) } }, required: true } },
    responses: { 201: { description: 'the logo document; the settings logoRef names it' }, 503: { description: 'storage provider unavailable' } },
  })
  app.put('/api/settings/logo', requirePermission('settings:write'), async (c) => {
    const upload = await receiveUpload(c.req.raw, deps.settings.maxUploadBytes)
    try {
      if (Object.keys(upload.fields).length > 0) throw new ValidationError(Object.fromEntries(Object.keys(upload.fields).map((name) => [name, 'is not a known field'])))
      const caller = principal(c)
      const document: DocumentFields = { category: 'branding', ownerType: 'school', ownerId: null, title: 'School logo', documentDate: new Date().toISOString().slice(0, 10) }
      const row = await storeDocumentUpload(context(c), document, upload, async (tx, inserted) => {
        const [before] = await tx`SELECT logo_ref FROM school WHERE id = ${caller.schoolId} FOR UPDATE`
        await tx`UPDATE school SET logo_ref = ${inserted.id as string}, version = version + 1, updated_at = now() WHERE id = ${caller.schoolId}`
        await insertAuditEvent(tx, { schoolId: caller.schoolId, actorId: caller.userId, action: 'update', entity: 'school_settings', entityId: caller.schoolId, before: { logoRef: before?.logo_ref ?? null }, after: { logoRef: inserted.id }, requestId: c.get('requestId') })
      })
      return c.json(presentDocument(row), 201)
    } finally {
      upload.file.resume()
    }
  })

  catalog.add({ method: 'GET', path: '/api/documents/{id}/file', permission: 'signed-in' })
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/api/documents/{id}/file',
    tags: ['Documents'],
    summary: 'Download a document file: a redirect to a public or short-lived signed URL, or the bytes for restricted photos',
    request: { params: z.object({ id: z.uuid() }) },
    responses: { 200: { description: 'the file (restricted categories)' }, 302: { description: 'redirect to the file' }, 404: { description: 'no such document, no file, or not visible' } },
  })
  app.get('/api/documents/:id/file', requireSignedIn(), async (c) => {
    const id = parseOrReject(z.uuid(), c.req.param('id'))
    const caller = principal(c)
    const row = await findRecord(deps.sql, fileSpec, caller.schoolId, id, requireVisibleDocuments(deps.sql, c, 'read'))
    if (!row || row.storage_key === null) throw new HTTPException(404, { message: `document ${id} not found or has no file` })
    const file = storedFileOf(row)

    try {
      if (CLASSIFICATION[file.category].access !== 'restricted') {
        const link = await deps.storage.link(file)
        if (link) {
          deps.logger.info({ documentId: id, userId: caller.userId, provider: file.provider, expiresAt: link.expiresAt }, 'document link issued')
          c.header('Cache-Control', 'no-store')
          return c.redirect(link.url, 302)
        }
      }
      return streamFile(c, file, await deps.storage.open(file), Number(row.size_bytes))
    } catch (error) {
      if (error instanceof ObjectNotFoundError) throw new HTTPException(404, { message: `the file of document ${id} is missing at ${file.provider}` })
      throw httpErrorOf(error)
    }
  })

  catalog.add({ method: 'GET', path: '/files/local', permission: 'public' })
  app.get('/files/local', async (c) => {
    const link = parseOrReject(localLinkQuery, c.req.query())
    try {
      deps.storage.localLinks.verify({ key: link.key, expires: link.expires, fileName: link.name, contentType: link.type }, link.signature)
    } catch (error) {
      if (error instanceof InvalidLinkError) throw new HTTPException(403, { message: error.message })
      throw error
    }
    // Signed links are only issued for document files; backups share the local root.
    if (!isInsideFolder(link.key, 'documents')) throw new HTTPException(403, { message: 'invalid download link: not a document file' })
    const body = await deps.storage.localStore.get(link.key).catch((error: unknown) => {
      if (error instanceof ObjectNotFoundError) throw new HTTPException(404, { message: 'the linked file no longer exists' })
      throw error
    })
    const file = { provider: 'local', key: link.key, contentType: link.type, category: 'sensitive', fileName: link.name } satisfies StoredFile
    return streamFile(c, file, body, null)
  })
}

const localLinkQuery = z.strictObject({
  key: z.string().min(1).max(1024),
  expires: z.coerce.number().int().positive(),
  name: z.string().min(1).max(255),
  type: z.string().min(1).max(100),
  signature: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits'),
})

function storedFileOf(row: Record<string, unknown>): StoredFile {
  return {
    provider: row.storage_provider as StorageProvider,
    key: row.storage_key as string,
    contentType: row.content_type as string,
    category: row.category as DocumentCategory,
    fileName: row.file_name as string,
  }
}

function streamFile(c: Context<AppEnv>, file: StoredFile, body: Readable, sizeBytes: number | null): Response {
  const inline = file.contentType.startsWith('image/')
  c.header('Content-Type', file.contentType)
  c.header('Content-Disposition', contentDisposition(file.fileName, inline ? 'inline' : 'attachment'))
  c.header('Cache-Control', 'private, no-store')
  c.header('X-Content-Type-Options', 'nosniff')
  if (sizeBytes !== null) c.header('Content-Length', String(sizeBytes))
  return c.body(Readable.toWeb(body) as ReadableStream, 200)
}

/** The document as reads return it, without its school or storage key. */
export function presentDocument(row: Record<string, unknown>) {
  const { schoolId: _school, storageKey: _key, ...record } = camelRow(row)
  return { ...record, sizeBytes: record.sizeBytes === null || record.sizeBytes === undefined ? null : Number(record.sizeBytes) }
}
