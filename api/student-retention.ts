import { HTTPException } from 'hono/http-exception'
import type { Queryable } from '../data/db'
import { schoolToday } from '../data/retention'
import { lockStudentRow, studentVerdictOf } from '../data/student-retention'
import { RetentionRefusedError } from './document-retention'

/**
 * Rejects deleting a student whose record must still be kept: one who owns documents (each
 * is kept under its own rule), or who was enrolled and left under 10 years ago or has not left.
 * A student never enrolled and owning nothing was entered by mistake and may go at once. When
 * the period has ended, the enrolments are deleted with the student.
 */
export async function checkStudentRetention(tx: Queryable, schoolId: string, id: string): Promise<void> {
  const row = await lockStudentRow(tx, schoolId, id)
  if (!row) return
  if (row.documents > 0) throw new HTTPException(409, { message: `student ${id} still owns ${row.documents} document(s), which are kept under their own retention rules; delete those first` })
  if (row.enrolments === 0) return

  const verdict = studentVerdictOf(row, await schoolToday(tx, schoolId))
  if (!verdict.deletable) throw new RetentionRefusedError(`student ${id}`, verdict)
  await tx`DELETE FROM enrolment WHERE student_id = ${id}`
}
