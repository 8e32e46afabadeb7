import { insertAuditEvent } from './audit'
import type { Queryable, Sql } from './db'

export interface LegalHold {
  id: string
  documentId: string
  reason: string
  placedBy: string
  placedAt: Date
  liftedBy: string | null
  liftedAt: Date | null
  liftReason: string | null
}

const COLUMNS = (sql: Queryable) => sql`
  id, document_id AS "documentId", reason, placed_by AS "placedBy", placed_at AS "placedAt",
  lifted_by AS "liftedBy", lifted_at AS "liftedAt", lift_reason AS "liftReason"`

export interface HoldChange {
  schoolId: string
  documentId: string
  userId: string
  reason: string
  requestId: string | null
}

/**
 * Places a hold on a document, with its audit event, and returns it; returns null when the
 * document already has an active hold. The caller has checked that the document exists.
 */
export async function placeLegalHold(sql: Sql, change: HoldChange): Promise<LegalHold | null> {
  return sql.begin(async (tx) => {
    const [document] = await tx`SELECT legal_hold FROM document WHERE school_id = ${change.schoolId} AND id = ${change.documentId} FOR UPDATE`
    if (!document || document.legal_hold) return null
    const [hold] = await tx<LegalHold[]>`
      INSERT INTO legal_hold (school_id, document_id, reason, placed_by)
      VALUES (${change.schoolId}, ${change.documentId}, ${change.reason}, ${change.userId})
      RETURNING ${COLUMNS(tx)}`
    await tx`UPDATE document SET legal_hold = true, version = version + 1, updated_at = now() WHERE id = ${change.documentId}`
    await insertAuditEvent(tx, { schoolId: change.schoolId, actorId: change.userId, action: 'place-legal-hold', entity: 'document', entityId: change.documentId, before: { legalHold: false }, after: { legalHold: true, reason: change.reason }, requestId: change.requestId })
    return hold ?? null
  })
}

/** Lifts the document's active hold, with its audit event; returns null when none is active. */
export async function liftLegalHold(sql: Sql, change: HoldChange): Promise<LegalHold | null> {
  return sql.begin(async (tx) => {
    const [hold] = await tx<LegalHold[]>`
      UPDATE legal_hold SET lifted_by = ${change.userId}, lifted_at = now(), lift_reason = ${change.reason}
       WHERE school_id = ${change.schoolId} AND document_id = ${change.documentId} AND lifted_at IS NULL
      RETURNING ${COLUMNS(tx)}`
    if (!hold) return null
    await tx`UPDATE document SET legal_hold = false, version = version + 1, updated_at = now() WHERE id = ${change.documentId}`
    await insertAuditEvent(tx, { schoolId: change.schoolId, actorId: change.userId, action: 'lift-legal-hold', entity: 'document', entityId: change.documentId, before: { legalHold: true }, after: { legalHold: false, reason: change.reason }, requestId: change.requestId })
    return hold
  })
}

/** Lists every hold ever placed on a document, oldest first. */
export async function listLegalHolds(sql: Queryable, schoolId: string, documentId: string): Promise<LegalHold[]> {
  return sql<LegalHold[]>`SELECT ${COLUMNS(sql)} FROM legal_hold WHERE school_id = ${schoolId} AND document_id = ${documentId} ORDER BY placed_at, id`
}
