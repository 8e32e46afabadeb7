import { judgeStudentRecord, type RetentionVerdict } from '../domain/retention'
import { insertAuditEvent } from './audit'
import type { Queryable, Sql } from './db'
import type { PurgeContext, PurgeOutcome } from './retention'

/** A student with what the retention of their own record depends on. */
export interface StudentRetentionRow {
  id: string
  left_on: string | null
  documents: number
  documents_held: boolean
  enrolments: number
}

function selectStudentRows(sql: Queryable) {
  return sql`
    SELECT s.id, s.left_on,
           (SELECT count(*)::int FROM document d WHERE d.school_id = s.school_id AND d.owner_type = 'student' AND d.owner_id = s.id) AS documents,
           EXISTS (SELECT 1 FROM document d WHERE d.school_id = s.school_id AND d.owner_type = 'student' AND d.owner_id = s.id AND d.legal_hold) AS documents_held,
           (SELECT count(*)::int FROM enrolment e WHERE e.student_id = s.id) AS enrolments
      FROM student s`
}

/** Reads up to `limit` of a school's students after `afterId`, in id order. */
export async function studentRowsAfter(sql: Queryable, schoolId: string, afterId: string | null, limit: number): Promise<StudentRetentionRow[]> {
  const after = afterId === null ? sql`` : sql`AND s.id > ${afterId}`
  return sql<StudentRetentionRow[]>`${selectStudentRows(sql)} WHERE s.school_id = ${schoolId} ${after} ORDER BY s.id LIMIT ${limit}`
}

/** Reads one student, locking the row until the transaction ends. */
export async function lockStudentRow(sql: Queryable, schoolId: string, id: string): Promise<StudentRetentionRow | null> {
  const [row] = await sql<StudentRetentionRow[]>`${selectStudentRows(sql)} WHERE s.school_id = ${schoolId} AND s.id = ${id} FOR UPDATE OF s`
  return row ?? null
}

export function studentVerdictOf(row: StudentRetentionRow, today: string): RetentionVerdict {
  return judgeStudentRecord({ leftOn: row.left_on, documentsHeld: row.documents_held }, today)
}

/**
 * Purges one student's record once it has expired and the student owns no document any more:
 * the documents go first, each under its own rule, so a kept or held document keeps its
 * owner. The purge record, the audit event and the deletes commit together.
 */
export async function purgeStudent(sql: Sql, schoolId: string, studentId: string, context: PurgeContext): Promise<PurgeOutcome> {
  return sql.begin(async (tx) => {
    const row = await lockStudentRow(tx, schoolId, studentId)
    if (!row) return 'gone'
    const verdict = studentVerdictOf(row, context.asOf)
    if (verdict.status !== 'expired' || verdict.endsOn === null || row.documents > 0) return 'not-expired'

    await tx`
      INSERT INTO retention_purge (school_id, entity, entity_id, category, retention_class, rule, anchor_date, ends_on, as_of, workflow_id, run_id)
      VALUES (${schoolId}, 'student', ${row.id}, 'student-record', ${verdict.class}, ${verdict.rule}, ${verdict.anchorDate}, ${verdict.endsOn},
              ${context.asOf}, ${context.workflowId}, ${context.runId})
      ON CONFLICT (entity, entity_id) DO NOTHING`
    await tx`DELETE FROM enrolment WHERE student_id = ${row.id}`
    await tx`DELETE FROM student WHERE id = ${row.id}`
    await insertAuditEvent(tx, { schoolId, actorId: null, action: 'purge', entity: 'student', entityId: row.id, before: { rule: verdict.rule, endsOn: verdict.endsOn, enrolments: row.enrolments }, after: null, requestId: context.workflowId })
    return 'purged'
  })
}
