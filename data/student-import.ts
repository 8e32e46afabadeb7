import type { Row } from 'postgres'
import type { StudentInput } from '../domain/student-csv'
import type { Queryable, Sql } from './db'
import { camelRow } from './records'

/** Rows per INSERT: 500 students of 13 columns stay far below the 65,535 parameters of one statement. */
export const IMPORT_BATCH_SIZE = 500

const INSERTED_COLUMNS = [
  'school_id',
  'admission_number',
  'first_name',
  'last_name',
  'birth_date',
  'gender',
  'email',
  'phone',
  'address',
  'admitted_on',
  'left_on',
  'status',
  'photo_ref',
]

// The columns the student routes return, so an import's audit rows match those of a create.
const RETURNED_COLUMNS = ['id', 'version', 'created_at', 'updated_at', ...INSERTED_COLUMNS]

// Admission numbers per lookup query, each sent as one text[] parameter.
const LOOKUP_CHUNK_SIZE = 5_000

const AUDIT_COLUMNS = ['school_id', 'actor_id', 'action', 'entity', 'entity_id', 'before', 'after', 'request_id']

/** The user and request behind an import, recorded in its audit rows. */
export interface ImportActor {
  schoolId: string
  userId: string
  requestId: string | null
}

/** Returns the admission numbers among `numbers` that students of the school already have. */
export async function findTakenAdmissionNumbers(sql: Queryable, schoolId: string, numbers: readonly string[]): Promise<Set<string>> {
  const takenNumbers = new Set<string>()

  for (let start = 0; start < numbers.length; start += LOOKUP_CHUNK_SIZE) {
    const chunk = numbers.slice(start, start + LOOKUP_CHUNK_SIZE)
    const rows = await sql<{ admission_number: string }[]>`
      SELECT admission_number FROM student
       WHERE school_id = ${schoolId} AND admission_number = ANY(${chunk}::text[])`
    for (const row of rows) takenNumbers.add(row.admission_number)
  }
  return takenNumbers
}

function studentRow(schoolId: string, student: StudentInput): Record<string, unknown> {
  return {
    school_id: schoolId,
    admission_number: student.admissionNumber,
    first_name: student.firstName,
    last_name: student.lastName,
    birth_date: student.birthDate,
    gender: student.gender ?? null,
    email: student.email ?? null,
    phone: student.phone ?? null,
    address: student.address ?? null,
    admitted_on: student.admittedOn,
    left_on: student.leftOn ?? null,
    // Every row of a multi-row INSERT lists the same columns, so the column default is repeated here.
    status: student.status ?? 'active',
    photo_ref: student.photoRef ?? null,
  }
}

async function insertStudentBatch(tx: Queryable, schoolId: string, students: readonly StudentInput[]): Promise<Row[]> {
  const rows = students.map((student) => studentRow(schoolId, student))
  return tx`INSERT INTO student ${tx(rows, INSERTED_COLUMNS)} RETURNING ${tx(RETURNED_COLUMNS)}`
}

async function insertImportAuditBatch(tx: Queryable, actor: ImportActor, inserted: readonly Row[]): Promise<void> {
  const rows = inserted.map((student) => ({
    school_id: actor.schoolId,
    actor_id: actor.userId,
    action: 'import',
    entity: 'student',
    entity_id: String(student.id),
    before: null,
    after: tx.json(camelRow(student) as never),
    request_id: actor.requestId,
  }))
  await tx`INSERT INTO audit_event ${tx(rows, AUDIT_COLUMNS)}`
}

/**
 * Inserts the students in one transaction, IMPORT_BATCH_SIZE rows per INSERT, with one audit
 * row per student (`entity` student, `action` import). Returns how many were inserted.
 * A unique violation, from a number taken after the caller's check, rolls back every batch.
 */
export async function insertImportedStudents(sql: Sql, actor: ImportActor, students: readonly StudentInput[]): Promise<number> {
  return sql.begin(async (tx) => {
    let count = 0

    for (let start = 0; start < students.length; start += IMPORT_BATCH_SIZE) {
      const inserted = await insertStudentBatch(tx, actor.schoolId, students.slice(start, start + IMPORT_BATCH_SIZE))
      await insertImportAuditBatch(tx, actor, inserted)
      count += inserted.length
    }
    return count
  })
}
