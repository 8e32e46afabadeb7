import type { Row } from 'postgres'
import type { DocumentCategory, StorageProvider } from '../domain/documents'
import { insertAuditEvent } from './audit'
import type { Queryable, Sql } from './db'

/** Columns a document read returns; the storage key stays server-side. */
export const DOCUMENT_COLUMNS = ['id', 'school_id', 'version', 'created_at', 'updated_at', 'category', 'owner_type', 'owner_id', 'title', 'document_date', 'storage_provider', 'file_name', 'content_type', 'size_bytes', 'sha256', 'legal_hold'] as const

export interface NewDocumentFile {
  id: string
  schoolId: string
  category: DocumentCategory
  ownerType: 'school' | 'student' | 'staff'
  ownerId: string | null
  title: string
  documentDate: string
  provider: StorageProvider
  key: string
  fileName: string
  contentType: string
  sizeBytes: number
  sha256: string
}

/** Inserts a document row for a file already written to its provider. */
export async function insertDocumentFile(sql: Queryable, file: NewDocumentFile): Promise<Row> {
  const [row] = await sql`
    INSERT INTO document (id, school_id, category, owner_type, owner_id, title, document_date,
                          storage_provider, storage_key, file_name, content_type, size_bytes, sha256)
    VALUES (${file.id}, ${file.schoolId}, ${file.category}, ${file.ownerType}, ${file.ownerId}, ${file.title},
            ${file.documentDate}, ${file.provider}, ${file.key}, ${file.fileName}, ${file.contentType},
            ${file.sizeBytes}, ${file.sha256})
    RETURNING ${sql(DOCUMENT_COLUMNS)}`
  if (!row) throw new Error('INSERT INTO document returned no row')
  return row
}

/** Returns where a document's file lives, or null when the row has no file. */
export async function findDocumentFileLocation(sql: Queryable, schoolId: string, id: string): Promise<{ provider: StorageProvider; key: string } | null> {
  const [row] = await sql<{ provider: StorageProvider; key: string }[]>`
    SELECT storage_provider AS provider, storage_key AS key FROM document
    WHERE school_id = ${schoolId} AND id = ${id} AND storage_key IS NOT NULL`
  return row ?? null
}

/** Returns true when the owner is a student or staff member of the school. */
export async function ownerExists(sql: Queryable, schoolId: string, ownerType: 'student' | 'staff', ownerId: string): Promise<boolean> {
  const rows =
    ownerType === 'student'
      ? await sql`SELECT 1 FROM student WHERE school_id = ${schoolId} AND id = ${ownerId}`
      : await sql`SELECT 1 FROM staff WHERE school_id = ${schoolId} AND id = ${ownerId}`
  return rows.length > 0
}

/** Returns the provider new files of the school go to: its own setting, else the environment's. */
export async function selectedProvider(sql: Queryable, schoolId: string, environment: StorageProvider): Promise<StorageProvider> {
  const [row] = await sql<{ provider: StorageProvider | null }[]>`SELECT storage_provider AS provider FROM school WHERE id = ${schoolId}`
  return row?.provider ?? environment
}

/**
 * Records the provider STORAGE_PROVIDER selects and, when it differs from the one recorded at
 * the previous start, appends an audit event of the switch. Returns the previous provider.
 */
export async function recordEnvironmentProvider(sql: Sql, provider: StorageProvider): Promise<StorageProvider | null> {
  return sql.begin(async (tx) => {
    const [previous] = await tx<{ provider: StorageProvider }[]>`SELECT provider FROM storage_provider_state FOR UPDATE`
    if (previous?.provider === provider) return provider

    await tx`
      INSERT INTO storage_provider_state (id, provider) VALUES (true, ${provider})
      ON CONFLICT (id) DO UPDATE SET provider = EXCLUDED.provider, updated_at = now()`
    await insertAuditEvent(tx, {
      schoolId: null,
      actorId: null,
      action: 'update',
      entity: 'storage_provider',
      entityId: null,
      before: previous ? { provider: previous.provider, source: 'STORAGE_PROVIDER' } : null,
      after: { provider, source: 'STORAGE_PROVIDER' },
      requestId: null,
    })
    return previous?.provider ?? null
  })
}
