import { HTTPException } from 'hono/http-exception'
import { randomUUID } from 'node:crypto'
import type { Row } from 'postgres'
import type { StorageConfig } from '../config'
import { insertAuditEvent } from '../data/audit'
import type { TransactionSql } from 'postgres'
import type { Sql } from '../data/db'
import { insertDocumentFile, ownerExists, selectedProvider } from '../data/document-files'
import { ALLOWED_CONTENT_TYPES, destinationOf, documentPermission, type DocumentCategory } from '../domain/documents'
import { reachOf } from '../domain/permissions'
import { financialLockUntil, type RetentionRules } from '../domain/retention'
import { documentKey } from '../domain/storage-keys'
import type { Logger } from '../observability/logger'
import type { DocumentStorage } from '../storage/document-storage'
import { ProviderUnavailableError } from '../storage/object-store'
import { ValidationError } from './errors'
import type { Principal } from './principal'
import { FileTooLargeError, pipeInto, sniffContentType, UploadMeter, type IncomingUpload } from './uploads'

/** Metadata of an uploaded file, from the form fields. */
export interface DocumentFields {
  category: DocumentCategory
  ownerType: 'school' | 'student' | 'staff'
  ownerId: string | null
  title: string
  documentDate: string
}

export interface UploadContext {
  sql: Sql
  storage: DocumentStorage
  settings: StorageConfig
  /** Retention rules; a financial file's end date becomes its object-lock date on S3. */
  retentionRules: RetentionRules
  logger: Logger
  caller: Principal
  requestId: string
}

// Owner type that each category's files must have; other categories may belong to anyone.
const OWNER_OF: Partial<Record<DocumentCategory, DocumentFields['ownerType']>> = {
  branding: 'school',
  'student-photo': 'student',
  'staff-photo': 'staff',
}

/** Rejects (403, 400) before any byte is stored when the caller or the fields are wrong. */
export async function checkUpload(context: UploadContext, fields: DocumentFields): Promise<void> {
  const { caller } = context
  if (reachOf(caller.roles, documentPermission(fields.category, 'write')) !== 'all') {
    throw new HTTPException(403, { message: `roles ${caller.roles.join(', ')} may not upload ${fields.category} documents` })
  }
  const owner = OWNER_OF[fields.category]
  if (owner && fields.ownerType !== owner) throw new ValidationError({ ownerType: `must be ${owner} for ${fields.category} documents` })
  if (fields.ownerType === 'school' && fields.ownerId !== null) throw new ValidationError({ ownerId: 'must be empty when ownerType is school' })
  if (fields.ownerType !== 'school') {
    if (fields.ownerId === null) throw new ValidationError({ ownerId: `is missing; name the ${fields.ownerType}` })
    if (!(await ownerExists(context.sql, caller.schoolId, fields.ownerType, fields.ownerId))) {
      throw new ValidationError({ ownerId: `does not name a ${fields.ownerType} of this school` })
    }
  }
}

/**
 * Streams an upload to the provider its category and the selected provider call for, then
 * records it. The row is written only after the whole file is stored, and a file whose row
 * could not be written is deleted again, so neither an orphan row nor a visible half file
 * remains. `alsoInTransaction` runs inside the row's transaction (the logo update uses it).
 */
export async function storeDocumentUpload(
  context: UploadContext,
  fields: DocumentFields,
  upload: IncomingUpload,
  alsoInTransaction?: (tx: TransactionSql, row: Row) => Promise<void>,
): Promise<Row> {
  const { caller, settings } = context
  const selected = await selectedProvider(context.sql, caller.schoolId, settings.provider)
  const destination = destinationOf(fields.category, selected, settings.privateProvider)
  const documentId = randomUUID()
  const key = documentKey({ schoolId: caller.schoolId, category: fields.category, documentId, fileName: upload.fileName })

  // The school's fiscal year dates a financial file's lock; it is read before the body flows.
  const [school] = await context.sql<{ month: number }[]>`SELECT fiscal_year_start_month AS month FROM school WHERE id = ${caller.schoolId}`
  const retainUntil = financialLockUntil(fields.category, fields.documentDate, Number(school?.month ?? 1), context.retentionRules) ?? undefined

  const { contentType, body } = await sniffContentType(upload.file).catch((error: unknown) =>
    Promise.reject(new ValidationError({ file: `ended before its first bytes could be read (${(error as Error).message})` })),
  )
  const allowed = ALLOWED_CONTENT_TYPES[fields.category]
  if (!contentType || !allowed.includes(contentType)) {
    body.destroy()
    throw new ValidationError({ file: `is ${contentType ?? 'of an unrecognised type'}; ${fields.category} files must be one of ${allowed.join(', ')}` })
  }

  let receiveError: unknown = null
  upload.file.once('error', (error) => (receiveError = error))
  const meter = pipeInto(body, new UploadMeter(settings.maxUploadBytes))
  const storedKey = await context.storage.write(destination, key, meter, contentType, retainUntil).catch((error: unknown) => {
    if (receiveError && !(error instanceof FileTooLargeError)) {
      return Promise.reject(new ValidationError({ file: `ended before the whole file arrived (${(receiveError as Error).message})` }))
    }
    return Promise.reject(httpErrorOf(error))
  })
  const file = { id: documentId, schoolId: caller.schoolId, ...fields, provider: destination.provider, key: storedKey, fileName: upload.fileName, contentType, sizeBytes: meter.sizeBytes, sha256: meter.sha256() }

  try {
    return await context.sql.begin(async (tx) => {
      const row = await insertDocumentFile(tx, file)
      await insertAuditEvent(tx, { schoolId: caller.schoolId, actorId: caller.userId, action: 'create', entity: 'document', entityId: documentId, before: null, after: { ...row, school_id: undefined }, requestId: context.requestId })
      if (alsoInTransaction) await alsoInTransaction(tx, row)
      return row
    })
  } catch (error) {
    await context.storage
      .remove({ provider: destination.provider, key: storedKey, contentType, category: fields.category, fileName: upload.fileName })
      .catch((removeError: unknown) => context.logger.error({ err: removeError, provider: destination.provider, documentId }, 'stored file left without a row; remove it by hand'))
    throw error
  }
}

/** Maps storage and upload errors to HTTP errors: 413 for size, 503 naming the provider. */
export function httpErrorOf(error: unknown): unknown {
  if (error instanceof FileTooLargeError) return new HTTPException(413, { message: error.message })
  if (error instanceof ProviderUnavailableError) {
    return new HTTPException(503, { message: `storage provider ${error.provider} is unavailable; nothing was saved, try again later`, cause: error })
  }
  return error
}
