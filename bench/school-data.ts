import type { Sql } from '../data/db'

/** Row counts of the generated school, derived from the requested size. */
export interface SchoolShape {
  schools: number
  guardians: number
  students: number
  staff: number
  classes: number
  attendance: number
  marks: number
  invoices: number
  payments: number
  auditEvents: number
  /** Rows in each of the per-term and per-year tables. */
  rowsPerArchiveTable: number
}

const YEARS = Array.from({ length: 10 }, (_, index) => 2015 + index)
const TERMS = [1, 2, 3]

// Rows per MB above FIXED_MB, fitted so that pg_database_size lands within a few percent of the
// target on PostgreSQL 15.20 with default settings (measured at 50, 100 and 400 MB).
const ROWS_PER_MB = {
  guardians: 275,
  students: 380,
  staff: 21,
  attendance: 2_530,
  marks: 1_170,
  invoices: 545,
  payments: 460,
  auditEvents: 505,
  archive: 6,
}

// Size in MB that does not grow with the target, fitted together with ROWS_PER_MB: the empty
// database plus the minimum pages of every table and index.
const FIXED_MB = 16

export function schoolShape(targetMb: number): SchoolShape {
  const scaledMb = Math.max(1, targetMb - FIXED_MB)
  const rows = (perMb: number, minimum: number) => Math.max(minimum, Math.round(perMb * scaledMb))
  const students = rows(ROWS_PER_MB.students, 100)

  return {
    schools: Math.max(2, Math.round(targetMb / 10)),
    guardians: rows(ROWS_PER_MB.guardians, 80),
    students,
    staff: rows(ROWS_PER_MB.staff, 10),
    classes: Math.max(8, Math.round(students / 25)),
    attendance: rows(ROWS_PER_MB.attendance, 1_000),
    marks: rows(ROWS_PER_MB.marks, 500),
    invoices: rows(ROWS_PER_MB.invoices, 200),
    payments: rows(ROWS_PER_MB.payments, 150),
    auditEvents: rows(ROWS_PER_MB.auditEvents, 200),
    rowsPerArchiveTable: rows(ROWS_PER_MB.archive, 50),
  }
}

/** Names of the per-term and per-year tables, 110 in all. */
export function archiveTables(): { name: string; kind: ArchiveKind }[] {
  const tables: { name: string; kind: ArchiveKind }[] = []
  for (const year of YEARS) {
    for (const term of TERMS) {
      tables.push({ name: `timetable_${year}_t${term}`, kind: 'timetable' })
      tables.push({ name: `report_card_${year}_t${term}`, kind: 'report_card' })
      tables.push({ name: `attendance_summary_${year}_t${term}`, kind: 'attendance_summary' })
    }
    tables.push({ name: `exam_${year}`, kind: 'exam' })
    tables.push({ name: `fee_schedule_${year}`, kind: 'fee_schedule' })
  }
  return tables
}

type ArchiveKind = 'timetable' | 'report_card' | 'attendance_summary' | 'exam' | 'fee_schedule'

/**
 * Creates and fills the school schema in an empty database. Most text columns are md5 hashes
 * of the row id (hex digits), so pg_dump's zlib compression has real work to do. Keys and
 * foreign keys are added after the load, as pg_restore does, and the database is vacuumed and
 * frozen at the end so that no measurement pays for setting hint bits on the source.
 */
export async function generateSchool(sql: Sql, shape: SchoolShape): Promise<void> {
  await sql.unsafe(CORE_TABLES)
  for (const table of archiveTables()) await sql.unsafe(archiveTableDdl(table.name, table.kind))

  // With a pool of two connections, as generateSource opens, two fills run at once.
  await Promise.all(coreFills(shape).map((fill) => sql.unsafe(fill)))
  await Promise.all(archiveTables().map((table) => sql.unsafe(archiveFill(table.name, table.kind, shape))))

  await Promise.all(CORE_KEYS.map((statement) => sql.unsafe(statement)))
  for (const statement of CORE_FOREIGN_KEYS) await sql.unsafe(statement)

  await sql.unsafe('VACUUM (FREEZE, ANALYZE)')
}

const CORE_TABLES = `
  CREATE TABLE school (id int NOT NULL, slug text NOT NULL, name text NOT NULL, time_zone text NOT NULL);
  CREATE TABLE guardian (
    id int NOT NULL, school_id int NOT NULL, full_name text NOT NULL, email text NOT NULL,
    phone text NOT NULL, address text NOT NULL);
  CREATE TABLE student (
    id int NOT NULL, school_id int NOT NULL, guardian_id int NOT NULL, given_name text NOT NULL,
    family_name text NOT NULL, birth_date date NOT NULL, notes text);
  CREATE TABLE staff (
    id int NOT NULL, school_id int NOT NULL, full_name text NOT NULL, email text NOT NULL,
    role text NOT NULL, hired_on date NOT NULL);
  CREATE TABLE class (
    id int NOT NULL, school_id int NOT NULL, staff_id int NOT NULL, name text NOT NULL, school_year int NOT NULL);
  CREATE TABLE enrolment (student_id int NOT NULL, class_id int NOT NULL, enrolled_on date NOT NULL);
  CREATE TABLE attendance (
    id bigint NOT NULL, student_id int NOT NULL, class_id int NOT NULL, day date NOT NULL,
    status text NOT NULL, note text);
  CREATE TABLE mark (
    id bigint NOT NULL, student_id int NOT NULL, class_id int NOT NULL, assessment text NOT NULL,
    score numeric(5, 2) NOT NULL, comment text);
  CREATE TABLE invoice (
    id bigint NOT NULL, guardian_id int NOT NULL, student_id int NOT NULL, issued_on date NOT NULL,
    due_on date NOT NULL, amount_cents int NOT NULL, reference text NOT NULL);
  CREATE TABLE payment (
    id bigint NOT NULL, invoice_id bigint NOT NULL, paid_at timestamptz NOT NULL, amount_cents int NOT NULL,
    provider_ref text NOT NULL);
  CREATE TABLE audit_event (
    id bigint NOT NULL, occurred_at timestamptz NOT NULL, actor_staff_id int NOT NULL, action text NOT NULL,
    entity text NOT NULL, entity_id bigint NOT NULL, payload jsonb NOT NULL);`

function coreFills(shape: SchoolShape): string[] {
  const enrolmentsPerStudent = Math.min(4, shape.classes)

  // The big tables go first, so the two connections finish close together.
  return [
    `INSERT INTO attendance
       SELECT i, 1 + i % ${shape.students}, 1 + i % ${shape.classes}, date '2019-01-01' + (i % 2000)::int,
              (ARRAY['present', 'absent', 'late', 'excused'])[1 + i % 4], md5('attendance' || i)
         FROM generate_series(1, ${shape.attendance}) AS i`,
    `INSERT INTO audit_event
       SELECT i, timestamptz '2019-01-01' + i * interval '17 seconds', 1 + i % ${shape.staff},
              (ARRAY['create', 'update', 'delete', 'view'])[1 + i % 4],
              (ARRAY['student', 'invoice', 'mark', 'attendance'])[1 + i % 4], i * 7,
              jsonb_build_object('before', md5('before' || i), 'after', md5('after' || i), 'ip', md5('ip' || i))
         FROM generate_series(1, ${shape.auditEvents}) AS i`,
    `INSERT INTO mark
       SELECT i, 1 + i % ${shape.students}, 1 + i % ${shape.classes}, 'assessment ' || (i % 40),
              (i * 37 % 10000) / 100.0, md5('mark' || i)
         FROM generate_series(1, ${shape.marks}) AS i`,
    `INSERT INTO invoice
       SELECT i, 1 + i % ${shape.guardians}, 1 + i % ${shape.students}, date '2019-01-01' + (i % 2000)::int,
              date '2019-01-31' + (i % 2000)::int, 1000 + i * 13 % 90000, md5('invoice' || i)
         FROM generate_series(1, ${shape.invoices}) AS i`,
    `INSERT INTO payment
       SELECT i, 1 + i % ${shape.invoices}, timestamptz '2019-01-05' + i * interval '3 minutes',
              1000 + i * 11 % 90000, md5('payment' || i)
         FROM generate_series(1, ${shape.payments}) AS i`,
    `INSERT INTO student
       SELECT i, 1 + i % ${shape.schools}, 1 + i % ${shape.guardians}, left(md5('given' || i), 10),
              left(md5('family' || i), 14), date '2006-01-01' + (i % 4000)::int, md5('notes' || i)
         FROM generate_series(1, ${shape.students}) AS i`,
    `INSERT INTO guardian
       SELECT i, 1 + i % ${shape.schools}, left(md5('guardian' || i), 20), md5('email' || i) || '@example.org',
              '+44 7' || lpad((i * 7919 % 1000000000)::text, 9, '0'), md5('address' || i)
         FROM generate_series(1, ${shape.guardians}) AS i`,
    `INSERT INTO enrolment
       SELECT s, 1 + (s * ${enrolmentsPerStudent} + j) % ${shape.classes}, date '2023-09-01' + (s % 30)
         FROM generate_series(1, ${shape.students}) AS s, generate_series(0, ${enrolmentsPerStudent - 1}) AS j`,
    `INSERT INTO staff
       SELECT i, 1 + i % ${shape.schools}, left(md5('staff' || i), 20), md5('staff-email' || i) || '@example.org',
              (ARRAY['teacher', 'head', 'bursar', 'office'])[1 + i % 4], date '2000-01-01' + (i % 8000)::int
         FROM generate_series(1, ${shape.staff}) AS i`,
    `INSERT INTO class
       SELECT i, 1 + i % ${shape.schools}, 1 + i % ${shape.staff}, 'class ' || left(md5('class' || i), 8), 2024
         FROM generate_series(1, ${shape.classes}) AS i`,
    `INSERT INTO school
       SELECT i, 'school-' || i, 'School ' || left(md5('school' || i), 12), 'Europe/London'
         FROM generate_series(1, ${shape.schools}) AS i`,
  ]
}

const CORE_KEYS = [
  'ALTER TABLE attendance ADD PRIMARY KEY (id)',
  'CREATE INDEX attendance_student_day_idx ON attendance (student_id, day)',
  'ALTER TABLE audit_event ADD PRIMARY KEY (id)',
  'CREATE INDEX audit_event_occurred_at_idx ON audit_event (occurred_at)',
  'ALTER TABLE mark ADD PRIMARY KEY (id)',
  'CREATE INDEX mark_student_idx ON mark (student_id)',
  'ALTER TABLE invoice ADD PRIMARY KEY (id)',
  'CREATE INDEX invoice_guardian_idx ON invoice (guardian_id)',
  'ALTER TABLE payment ADD PRIMARY KEY (id)',
  'CREATE INDEX payment_invoice_idx ON payment (invoice_id)',
  'ALTER TABLE student ADD PRIMARY KEY (id)',
  'ALTER TABLE guardian ADD PRIMARY KEY (id)',
  'ALTER TABLE enrolment ADD PRIMARY KEY (student_id, class_id)',
  'ALTER TABLE staff ADD PRIMARY KEY (id)',
  'ALTER TABLE class ADD PRIMARY KEY (id)',
  'ALTER TABLE school ADD PRIMARY KEY (id)',
]

// These run one at a time because each locks both of its tables, and several share a parent table.
const CORE_FOREIGN_KEYS = [
  'ALTER TABLE guardian ADD FOREIGN KEY (school_id) REFERENCES school',
  'ALTER TABLE student ADD FOREIGN KEY (school_id) REFERENCES school',
  'ALTER TABLE student ADD FOREIGN KEY (guardian_id) REFERENCES guardian',
  'ALTER TABLE staff ADD FOREIGN KEY (school_id) REFERENCES school',
  'ALTER TABLE class ADD FOREIGN KEY (staff_id) REFERENCES staff',
  'ALTER TABLE enrolment ADD FOREIGN KEY (student_id) REFERENCES student',
  'ALTER TABLE enrolment ADD FOREIGN KEY (class_id) REFERENCES class',
  'ALTER TABLE attendance ADD FOREIGN KEY (student_id) REFERENCES student',
  'ALTER TABLE attendance ADD FOREIGN KEY (class_id) REFERENCES class',
  'ALTER TABLE mark ADD FOREIGN KEY (student_id) REFERENCES student',
  'ALTER TABLE invoice ADD FOREIGN KEY (guardian_id) REFERENCES guardian',
  'ALTER TABLE invoice ADD FOREIGN KEY (student_id) REFERENCES student',
  'ALTER TABLE payment ADD FOREIGN KEY (invoice_id) REFERENCES invoice',
  'ALTER TABLE audit_event ADD FOREIGN KEY (actor_staff_id) REFERENCES staff',
]

function archiveTableDdl(name: string, kind: ArchiveKind): string {
  switch (kind) {
    case 'timetable':
      return `CREATE TABLE ${name} (
        id int PRIMARY KEY, class_id int NOT NULL, weekday int NOT NULL, period int NOT NULL,
        room text NOT NULL, note text)`
    case 'report_card':
      return `CREATE TABLE ${name} (
        id int PRIMARY KEY, student_id int NOT NULL, class_id int NOT NULL, grade text NOT NULL, comment text)`
    case 'attendance_summary':
      return `CREATE TABLE ${name} (
        student_id int PRIMARY KEY, days_present int NOT NULL, days_absent int NOT NULL, digest text NOT NULL)`
    case 'exam':
      return `CREATE TABLE ${name} (
        id int PRIMARY KEY, class_id int NOT NULL, sat_on date NOT NULL, title text NOT NULL,
        paper_ref text NOT NULL)`
    case 'fee_schedule':
      return `CREATE TABLE ${name} (
        id int PRIMARY KEY, fee_code text NOT NULL, amount_cents int NOT NULL, description text NOT NULL)`
  }
}

function archiveFill(name: string, kind: ArchiveKind, shape: SchoolShape): string {
  const rows = `generate_series(1, ${shape.rowsPerArchiveTable}) AS i`
  const seed = `'${name}' || i`

  switch (kind) {
    case 'timetable':
      return `INSERT INTO ${name}
        SELECT i, 1 + i % ${shape.classes}, i % 5, i % 8, 'room ' || (i % 60), md5(${seed}) FROM ${rows}`
    case 'report_card':
      return `INSERT INTO ${name}
        SELECT i, 1 + i % ${shape.students}, 1 + i % ${shape.classes}, (ARRAY['A', 'B', 'C', 'D'])[1 + i % 4],
               md5(${seed}) FROM ${rows}`
    case 'attendance_summary':
      return `INSERT INTO ${name} SELECT i, 50 + i % 20, i % 7, md5(${seed}) FROM ${rows}`
    case 'exam':
      return `INSERT INTO ${name}
        SELECT i, 1 + i % ${shape.classes}, date '2019-06-01' + (i % 30), 'exam ' || (i % 90), md5(${seed})
          FROM ${rows}`
    case 'fee_schedule':
      return `INSERT INTO ${name}
        SELECT i, 'fee-' || i, 1000 + i * 17 % 50000, md5(${seed}) FROM ${rows}`
  }
}
