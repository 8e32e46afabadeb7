import type { Queryable } from '../data/db'
import type { Fragment } from '../data/records'
import type { Reach } from '../domain/permissions'
import type { Principal } from './principal'

/**
 * Students in the sections where the caller is homeroom teacher. A teacher with no staff
 * record linked sees no students.
 */
function studentsOfOwnSections(sql: Queryable, caller: Principal): Fragment {
  return sql`
    SELECT e.student_id FROM enrolment e JOIN section s ON s.id = e.section_id
     WHERE s.homeroom_staff_id = ${caller.staffId ?? '00000000-0000-0000-0000-000000000000'}`
}

export function studentScope(sql: Queryable, caller: Principal, reach: Reach): Fragment | undefined {
  return reach === 'own-sections' ? sql`id IN (${studentsOfOwnSections(sql, caller)})` : undefined
}

export function guardianScope(sql: Queryable, caller: Principal, reach: Reach): Fragment | undefined {
  if (reach !== 'own-sections') return undefined
  return sql`id IN (SELECT guardian_id FROM student_guardian WHERE student_id IN (${studentsOfOwnSections(sql, caller)}))`
}

export function studentGuardianScope(sql: Queryable, caller: Principal, reach: Reach): Fragment | undefined {
  return reach === 'own-sections' ? sql`student_id IN (${studentsOfOwnSections(sql, caller)})` : undefined
}

/** Documents a teacher may read: those of students in their sections. */
export function teacherDocumentScope(sql: Queryable, caller: Principal): Fragment {
  return sql`owner_type = 'student' AND owner_id IN (${studentsOfOwnSections(sql, caller)})`
}
