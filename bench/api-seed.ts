import { randomBytes } from 'node:crypto'
import { hashPassword } from '../auth/passwords'
import { hashSecret, newSecret } from '../auth/tokens'
import { insertApiToken, insertUser } from '../data/accounts'
import { slugify } from '../data/bootstrap'
import type { Sql, Queryable } from '../data/db'
import type { Role } from '../domain/permissions'

/** Ten grades with four sections each: 1A to 10D. */
export const SECTIONS = 40
const SECTIONS_PER_GRADE = 4

const FEMALE_NAMES = [
  'Amara', 'Chloe', 'Fatima', 'Grace', 'Hana', 'Isla', 'Jasmine', 'Leila', 'Maya', 'Mei',
  'Nadia', 'Olivia', 'Priya', 'Rosa', 'Sofia', 'Zara', 'Elena', 'Aisha', 'Ingrid', 'Lucia',
]
const MALE_NAMES = [
  'Adam', 'Ben', 'Carlos', 'Daniel', 'Elias', 'Felix', 'Hugo', 'Ibrahim', 'Jonas', 'Kenji',
  'Leo', 'Mateo', 'Noah', 'Omar', 'Rahul', 'Samuel', 'Tomas', 'Victor', 'Yusuf', 'Arjun',
]
const LAST_NAMES = [
  'Abbott', 'Adeyemi', 'Alvarez', 'Andersen', 'Baker', 'Becker', 'Bianchi', 'Brennan', 'Campbell', 'Chen',
  'Costa', 'Dubois', 'Evans', 'Fischer', 'Fitzgerald', 'Garcia', 'Gonzalez', 'Gupta', 'Hansen', 'Hughes',
  'Ivanova', 'Jansen', 'Kaur', 'Khan', 'Kim', 'Kowalski', 'Larsen', 'Lopez', 'MacLeod', 'Mensah',
  'Moreau', 'Murphy', 'Nakamura', 'Nguyen', 'Novak', 'Okafor', 'Olsen', 'Patel', 'Petrov', 'Quinn',
  'Rossi', 'Santos', 'Schmidt', 'Silva', 'Singh', 'Sokolov', 'Tanaka', 'Thompson', 'Torres', 'Varga',
  'Wagner', 'Walsh', 'Watanabe', 'Weber', 'Williams', 'Wilson', 'Yamamoto', 'Yilmaz', 'Zhang', 'Zielinski',
]
const STREETS = ['Oak', 'Mill', 'Church', 'Station', 'Park', 'Victoria', 'Elm', 'High', 'Bridge', 'Garden', 'Orchard', 'Meadow']

/** A user of the benchmark school and the plain API token it sends as `Authorization: Bearer`. */
export interface BenchUser {
  id: string
  token: string
}

export interface BenchData {
  schoolId: string
  admin: BenchUser
  /** Homeroom teacher of section 1A. */
  teacher: BenchUser & { staffId: string }
  /** Every student id, in admission-number order. */
  studentIds: string[]
  /** Ids of the students the teacher may read: those enrolled in the teacher's section. */
  teacherStudentIds: string[]
  counts: Record<'staff' | 'sections' | 'students' | 'enrolments' | 'guardians' | 'studentGuardians', number>
}

/**
 * Loads one school into a migrated database. It gets an academic year, 40 sections with a
 * homeroom teacher each, `students` students spread evenly over the sections, one or two
 * guardians per student, and an admin and a teacher with an API token each. generate_series
 * builds the rows from fixed name lists, so every run gets the same names, dates and counts.
 */
export async function seedBenchSchool(sql: Sql, students: number): Promise<BenchData> {
  const schoolId = await sql.begin(async (tx) => {
    const school = await insertSchool(tx)
    const yearId = await insertAcademicYear(tx, school)
    await createTempTables(tx, students)
    await insertSectionsAndStaff(tx, school, yearId)
    await insertStudentsAndEnrolments(tx, school, yearId)
    await insertGuardians(tx, school)
    return school
  })

  // Fresh statistics, so the planner plans for the loaded tables instead of empty ones.
  await sql`ANALYZE`

  const admin = await insertUserWithToken(sql, schoolId, ['admin'], null)
  const staffId = await homeroomStaffOf(sql, '1A')
  const teacher = { ...(await insertUserWithToken(sql, schoolId, ['teacher'], staffId)), staffId }

  return {
    schoolId,
    admin,
    teacher,
    studentIds: await selectIds(sql`SELECT id FROM student ORDER BY admission_number`),
    teacherStudentIds: await selectIds(
      sql`SELECT e.student_id AS id FROM enrolment e JOIN section s ON s.id = e.section_id
           WHERE s.homeroom_staff_id = ${staffId} ORDER BY e.student_id`,
    ),
    counts: await countRows(sql),
  }
}

async function insertSchool(tx: Queryable): Promise<string> {
  const name = `Bench School ${randomBytes(3).toString('hex')}`
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO school (slug, name, time_zone, address)
    VALUES (${slugify(name)}, ${name}, 'Europe/London', '1 School Lane')
    RETURNING id`
  if (!row) throw new Error('INSERT INTO school returned no row')
  return row.id
}

async function insertAcademicYear(tx: Queryable, schoolId: string): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO academic_year (school_id, name, starts_on, ends_on)
    VALUES (${schoolId}, '2025/26', '2025-09-01', '2026-07-15')
    RETURNING id`
  if (!row) throw new Error('INSERT INTO academic_year returned no row')
  await tx`UPDATE school SET current_academic_year_id = ${row.id} WHERE id = ${schoolId}`
  return row.id
}

/**
 * Numbers the sections 1 to 40 and the students 1 to `students` with ids chosen in advance, so
 * the inserts that follow can link rows by number. Student n goes to section (n - 1) % 40 + 1,
 * and section k is in grade (k - 1) / 4 + 1. The tables are dropped at COMMIT.
 */
async function createTempTables(tx: Queryable, students: number): Promise<void> {
  await tx`
    CREATE TEMP TABLE bench_section ON COMMIT DROP AS
    SELECT k, gen_random_uuid() AS id, gen_random_uuid() AS staff_id,
           (k - 1) / ${SECTIONS_PER_GRADE} + 1 AS grade,
           chr(65 + (k - 1) % ${SECTIONS_PER_GRADE}) AS letter
      FROM generate_series(1, ${SECTIONS}) AS k`
  await tx`
    CREATE TEMP TABLE bench_student ON COMMIT DROP AS
    SELECT n, gen_random_uuid() AS id, (n - 1) % ${SECTIONS} + 1 AS k
      FROM generate_series(1, ${students}) AS n`
}

async function insertSectionsAndStaff(tx: Queryable, schoolId: string, yearId: string): Promise<void> {
  await tx`
    INSERT INTO staff (id, school_id, employee_number, first_name, last_name, email, phone, position, department, hired_on)
    SELECT staff_id, ${schoolId}, 'T' || lpad(k::text, 4, '0'), first_name, last_name,
           lower(first_name || '.' || last_name) || '@staff.example.org',
           '+44 20 7946 ' || lpad((k * 37)::text, 4, '0'),
           'teacher', 'Grade ' || grade, date '2008-08-25' + (k * 173) % 5000
      FROM bench_section,
           LATERAL (SELECT (${FEMALE_NAMES}::text[] || ${MALE_NAMES}::text[])[1 + (k * 7) % 40] AS first_name,
                           (${LAST_NAMES}::text[])[1 + (k * 13) % 60] AS last_name) AS names`
  await tx`
    INSERT INTO section (id, school_id, academic_year_id, grade, name, homeroom_staff_id, room)
    SELECT id, ${schoolId}, ${yearId}, grade::text, grade || letter, staff_id, 'Room ' || (100 + k)
      FROM bench_section`
}

/**
 * Inserts the students and enrols each in their section for 2025/26. Birth dates fall in the
 * school year that fits the grade, so grade 1 was born from September 2018 to August 2019.
 * Most students were admitted to grade 1, but every seventh student above grade 2 joined two
 * years later. Names are picked from the lists by multiplying n with different primes, so
 * neighbouring students do not share a surname.
 */
async function insertStudentsAndEnrolments(tx: Queryable, schoolId: string, yearId: string): Promise<void> {
  await tx`
    INSERT INTO student (id, school_id, admission_number, first_name, last_name, birth_date, gender, email, phone, address, admitted_on)
    SELECT p.id, ${schoolId}, 'S' || lpad(p.n::text, 5, '0'), names.first_name, names.last_name,
           make_date(2019 - s.grade, 9, 1) + (p.n * 53) % 365,
           CASE WHEN p.n % 2 = 0 THEN 'female' ELSE 'male' END,
           CASE WHEN s.grade >= 7 THEN lower(names.first_name || '.' || names.last_name || p.n) || '@students.example.org' END,
           NULL,
           (1 + p.n % 240) || ' ' || (${STREETS}::text[])[1 + p.n % 12] || ' Street',
           make_date(2026 - s.grade + CASE WHEN p.n % 7 = 0 AND s.grade > 2 THEN 2 ELSE 0 END, 9, 1)
      FROM bench_student p JOIN bench_section s USING (k),
           LATERAL (SELECT (CASE WHEN p.n % 2 = 0 THEN ${FEMALE_NAMES}::text[] ELSE ${MALE_NAMES}::text[] END)[1 + (p.n / 2 * 7) % 20] AS first_name,
                           (${LAST_NAMES}::text[])[1 + (p.n * 31 + p.n / 60) % 60] AS last_name) AS names`
  await tx`
    INSERT INTO enrolment (school_id, student_id, academic_year_id, section_id, enrolled_on)
    SELECT ${schoolId}, p.id, ${yearId}, s.id, date '2025-09-01'
      FROM bench_student p JOIN bench_section s USING (k)`
}

/**
 * Inserts a primary guardian with the same surname for every student, and a second guardian
 * for two students in three. No guardian is shared between siblings.
 */
async function insertGuardians(tx: Queryable, schoolId: string): Promise<void> {
  await tx`
    CREATE TEMP TABLE bench_guardian ON COMMIT DROP AS
    SELECT gen_random_uuid() AS id, p.id AS student_id, st.last_name, p.n, number,
           CASE WHEN (p.n + number) % 2 = 0 THEN 'mother' ELSE 'father' END AS relation
      FROM bench_student p JOIN student st ON st.id = p.id, generate_series(1, 2) AS number
     WHERE number = 1 OR p.n % 3 <> 0`
  await tx`
    INSERT INTO guardian (id, school_id, first_name, last_name, email, phone, address)
    SELECT g.id, ${schoolId}, first_name, g.last_name,
           lower(first_name || '.' || g.last_name || g.n) || '@mail.example.org',
           '+44 7700 ' || lpad((g.n * 2 + g.number)::text, 6, '0'),
           (1 + g.n % 240) || ' ' || (${STREETS}::text[])[1 + g.n % 12] || ' Street'
      FROM bench_guardian g,
           LATERAL (SELECT (CASE WHEN g.relation = 'mother' THEN ${FEMALE_NAMES}::text[] ELSE ${MALE_NAMES}::text[] END)[1 + (g.n * 11 + g.number * 3) % 20] AS first_name) AS names`
  await tx`
    INSERT INTO student_guardian (school_id, student_id, guardian_id, relation, is_primary, may_pick_up)
    SELECT ${schoolId}, student_id, id, relation, number = 1, true
      FROM bench_guardian`
}

async function homeroomStaffOf(sql: Sql, sectionName: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`SELECT homeroom_staff_id AS id FROM section WHERE name = ${sectionName}`
  if (!row) throw new Error(`section ${sectionName} not found after seeding`)
  return row.id
}

async function insertUserWithToken(sql: Sql, schoolId: string, roles: Role[], staffId: string | null): Promise<BenchUser> {
  const email = `${roles.join('-')}-${randomBytes(4).toString('hex')}@bench.example.org`

  // The benchmark never signs in with the password, but app_user requires a password hash.
  const passwordHash = await hashPassword(randomBytes(16).toString('hex'))
  const user = await insertUser(sql, { schoolId, email, displayName: roles.join(' '), passwordHash, roles, staffId })

  const token = newSecret('sot')
  await insertApiToken(sql, { userId: user.id, name: 'bench:api', tokenHash: hashSecret(token) })
  return { id: user.id, token }
}

async function selectIds(query: Promise<{ id: string }[]>): Promise<string[]> {
  const rows = await query
  if (rows.length === 0) throw new Error('seeding produced no ids to request')
  return rows.map((row) => row.id)
}

async function countRows(sql: Sql): Promise<BenchData['counts']> {
  const [row] = await sql<Record<keyof BenchData['counts'], number>[]>`
    SELECT (SELECT count(*)::int FROM staff) AS staff,
           (SELECT count(*)::int FROM section) AS sections,
           (SELECT count(*)::int FROM student) AS students,
           (SELECT count(*)::int FROM enrolment) AS enrolments,
           (SELECT count(*)::int FROM guardian) AS guardians,
           (SELECT count(*)::int FROM student_guardian) AS "studentGuardians"`
  if (!row) throw new Error('counting the seeded rows returned nothing')
  return row
}
