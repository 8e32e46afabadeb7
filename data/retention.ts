import type { DocumentCategory, StorageProvider } from '../domain/documents'
import { judgeRetention, type RetentionFacts, type RetentionRules, type RetentionVerdict } from '../domain/retention'
import { insertAuditEvent } from './audit'
import type { Queryable, Sql } from './db'

/** One document with what its retention rule needs; dates are `YYYY-MM-DD` strings. */
export interface RetentionRow {
  id: string
  school_id: string
  category: DocumentCategory
  owner_type: 'school' | 'student' | 'staff'
  document_date: string
  owner_exit_date: string | null
  fiscal_year_start_month: number
  legal_hold: boolean
  storage_provider: StorageProvider | null
  storage_key: string | null
  content_type: string | null
  file_name: string | null
  sha256: string | null
  size_bytes: string | null
}

function selectRetentionRows(sql: Queryable) {
  return sql`
    SELECT d.id, d.school_id, d.category, d.owner_type, d.document_date,
           CASE d.owner_type WHEN 'student' THEN s.left_on WHEN 'staff' THEN st.left_on END AS owner_exit_date,
           sc.fiscal_year_start_month, d.legal_hold, d.storage_provider, d.storage_key,
           d.content_type, d.file_name, d.sha256, d.size_bytes
      FROM document d
      JOIN school sc ON sc.id = d.school_id
      LEFT JOIN student s ON d.owner_type = 'student' AND s.id = d.owner_id
      LEFT JOIN staff st ON d.owner_type = 'staff' AND st.id = d.owner_id`
}

/** Reads up to `limit` of a school's documents after `afterId`, in id order. */
export async function retentionRowsAfter(sql: Queryable, schoolId: string, afterId: string | null, limit: number): Promise<RetentionRow[]> {
  const after = afterId === null ? sql`` : sql`AND d.id > ${afterId}`
  return sql<RetentionRow[]>`${selectRetentionRows(sql)} WHERE d.school_id = ${schoolId} ${after} ORDER BY d.id LIMIT ${limit}`
}

/** Reads the named documents of a school; `lock` takes a row lock until the transaction ends. */
export async function retentionRowsByIds(sql: Queryable, schoolId: string, ids: readonly string[], lock = false): Promise<RetentionRow[]> {
  if (ids.length === 0) return []
  const forUpdate = lock ? sql`FOR UPDATE OF d` : sql``
  return sql<RetentionRow[]>`${selectRetentionRows(sql)} WHERE d.school_id = ${schoolId} AND d.id IN ${sql(ids)} ${forUpdate}`
}

export function factsOf(row: RetentionRow): RetentionFacts {
  return {
    category: row.category,
    ownerType: row.owner_type,
    documentDate: row.document_date,
    ownerExitDate: row.owner_exit_date,
    fiscalYearStartMonth: Number(row.fiscal_year_start_month),
    legalHold: row.legal_hold,
  }
}

export function verdictOf(row: RetentionRow, rules: RetentionRules, today: string): RetentionVerdict {
  return judgeRetention(factsOf(row), rules, today)
}

/** Returns today's date in the school's time zone, as `YYYY-MM-DD`. */
export async function schoolToday(sql: Queryable, schoolId: string, at = new Date()): Promise<string> {
  const [row] = await sql<{ today: string }[]>`SELECT (${at}::timestamptz AT TIME ZONE time_zone)::date AS today FROM school WHERE id = ${schoolId}`
  if (!row) throw new Error(`school ${schoolId} not found`)
  return row.today
}

/** Records a deleted document's file for removal, in the transaction that deletes the row. */
export async function recordFileRemoval(sql: Queryable, row: RetentionRow, reason: 'deleted' | 'purged'): Promise<void> {
  if (row.storage_provider === null || row.storage_key === null) return
  await sql`
    INSERT INTO document_file_removal (storage_provider, storage_key, school_id, document_id, category, content_type, file_name, reason)
    VALUES (${row.storage_provider}, ${row.storage_key}, ${row.school_id}, ${row.id}, ${row.category},
            ${row.content_type ?? 'application/octet-stream'}, ${row.file_name ?? 'file'}, ${reason})
    ON CONFLICT DO NOTHING`
}

export interface PendingFileRemoval {
  storage_provider: StorageProvider
  storage_key: string
  category: DocumentCategory
  content_type: string
  file_name: string
  primary_removed_at: Date | null
  mirrored: boolean
}

/**
 * Lists removals with work left: the primary file not yet removed, or a mirror copy still
 * in the mirror catalog (a mirror run may copy a file again while it is being removed).
 */
export async function pendingFileRemovals(sql: Queryable, limit: number): Promise<PendingFileRemoval[]> {
  return sql<PendingFileRemoval[]>`
    SELECT r.storage_provider, r.storage_key, r.category, r.content_type, r.file_name, r.primary_removed_at,
           EXISTS (SELECT 1 FROM mirror_object m WHERE m.key = r.storage_key) AS mirrored
      FROM document_file_removal r
     WHERE r.primary_removed_at IS NULL
        OR EXISTS (SELECT 1 FROM mirror_object m WHERE m.key = r.storage_key)
     ORDER BY r.recorded_at, r.storage_key
     LIMIT ${limit}`
}

export async function markPrimaryRemoved(sql: Queryable, provider: StorageProvider, key: string): Promise<void> {
  await sql`UPDATE document_file_removal SET primary_removed_at = now() WHERE storage_provider = ${provider} AND storage_key = ${key} AND primary_removed_at IS NULL`
}

/** Run details a purge record stores beside the document itself. */
export interface PurgeContext {
  rules: RetentionRules
  asOf: string
  workflowId: string
  runId: string
}

export type PurgeOutcome = 'purged' | 'gone' | 'not-expired'

/**
 * Purges one document in one transaction: it is judged again under a row lock, so a hold
 * placed since the batch was read wins. The purge record, the file removal row, the audit
 * event and the delete commit together. A document already gone counts as `gone`, and its
 * purge record, if any, is left as it was.
 */
export async function purgeDocument(sql: Sql, schoolId: string, documentId: string, context: PurgeContext): Promise<PurgeOutcome> {
  return sql.begin(async (tx) => {
    const [row] = await retentionRowsByIds(tx, schoolId, [documentId], true)
    if (!row) return 'gone'
    const verdict = verdictOf(row, context.rules, context.asOf)
    if (verdict.status !== 'expired' || verdict.endsOn === null) return 'not-expired'

    await tx`
      INSERT INTO retention_purge (school_id, entity, entity_id, category, retention_class, rule, anchor_date, ends_on, as_of,
                                   storage_provider, storage_key, sha256, size_bytes, workflow_id, run_id)
      VALUES (${schoolId}, 'document', ${row.id}, ${row.category}, ${verdict.class}, ${verdict.rule}, ${verdict.anchorDate}, ${verdict.endsOn},
              ${context.asOf}, ${row.storage_provider}, ${row.storage_key}, ${row.sha256}, ${row.size_bytes}, ${context.workflowId}, ${context.runId})
      ON CONFLICT (entity, entity_id) DO NOTHING`
    await recordFileRemoval(tx, row, 'purged')
    await tx`DELETE FROM document WHERE id = ${row.id}`
    await insertAuditEvent(tx, {
      schoolId,
      actorId: null,
      action: 'purge',
      entity: 'document',
      entityId: row.id,
      before: { category: row.category, rule: verdict.rule, endsOn: verdict.endsOn },
      after: null,
      requestId: context.workflowId,
    })
    return 'purged'
  })
}

/** One document a purge on `asOf` would remove, and why. */
export interface ExpiredDocument {
  documentId: string
  category: DocumentCategory
  class: RetentionVerdict['class']
  rule: string
  anchorDate: string | null
  endsOn: string
  sizeBytes: number | null
}

/**
 * Pages through a school's documents in id order and returns up to `limit` that have expired
 * on `asOf`, reading at most `maxScanned` rows. `nextCursor` is the last id read, or null at
 * the end, so a page may hold fewer than `limit` items and still not be the last.
 */
export async function findExpiredDocuments(
  sql: Queryable,
  rules: RetentionRules,
  page: { schoolId: string; asOf: string; cursor: string | null; limit: number; maxScanned: number },
): Promise<{ items: ExpiredDocument[]; nextCursor: string | null; scanned: number }> {
  const items: ExpiredDocument[] = []
  let cursor = page.cursor
  let scanned = 0
  while (items.length < page.limit && scanned < page.maxScanned) {
    const size = Math.min(1000, page.maxScanned - scanned)
    const rows = await retentionRowsAfter(sql, page.schoolId, cursor, size)
    for (const row of rows) {
      scanned++
      cursor = row.id
      const verdict = verdictOf(row, rules, page.asOf)
      if (verdict.status === 'expired' && verdict.endsOn !== null) {
        items.push({ documentId: row.id, category: row.category, class: verdict.class, rule: verdict.rule, anchorDate: verdict.anchorDate, endsOn: verdict.endsOn, sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes) })
      }
      if (items.length === page.limit) return { items, nextCursor: cursor, scanned }
    }
    if (rows.length < size) return { items, nextCursor: null, scanned }
  }
  return { items, nextCursor: cursor, scanned }
}

export interface RetentionStatus {
  firstPurgeApproved: boolean
  lastPurgeAt: Date | null
  purgedLast30Days: number
  activeLegalHolds: number
  pendingFileRemovals: number
}

/** Reads a school's retention state for the ops status page. */
export async function readRetentionStatus(sql: Queryable, schoolId: string): Promise<RetentionStatus> {
  const [row] = await sql<RetentionStatus[]>`
    SELECT EXISTS (SELECT 1 FROM retention_approval WHERE school_id = ${schoolId}) AS "firstPurgeApproved",
           (SELECT max(purged_at) FROM retention_purge WHERE school_id = ${schoolId}) AS "lastPurgeAt",
           (SELECT count(*)::int FROM retention_purge WHERE school_id = ${schoolId} AND purged_at > now() - interval '30 days') AS "purgedLast30Days",
           (SELECT count(*)::int FROM legal_hold WHERE school_id = ${schoolId} AND lifted_at IS NULL) AS "activeLegalHolds",
           (SELECT count(*)::int FROM document_file_removal WHERE school_id = ${schoolId} AND primary_removed_at IS NULL) AS "pendingFileRemovals"`
  return row!
}
