import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Sql } from '../data/db'

/** Ids the bare server puts into the queries that the API derives from the caller. */
export interface BareScope {
  schoolId: string
  /** Staff record of the benchmark teacher, which `/teacher/...` paths scope the rows to. */
  teacherStaffId: string
}

const STUDENT_PATH = /^\/(admin|teacher)\/students(?:\/([0-9a-f-]{36}))?$/

/**
 * Creates the baseline server: plain node:http with a handler that sends the same SQL as
 * `GET /api/students` and `GET /api/students/{id}` and writes the rows as JSON. The SQL matches
 * what data/records.ts builds for the student spec in api/school-records.ts: the same columns,
 * `ORDER BY last_name, id` with LIMIT limit + 1, and for the teacher the section scope of
 * api/scopes.ts. There is no authentication, permission check, validation, renaming of
 * columns or logging, so the difference to the API is the cost of those layers.
 */
export function createBareServer(sql: Sql, scope: BareScope): Server {
  return createServer((request, response) => {
    handle(sql, scope, request, response).catch((error: unknown) => {
      console.error(`bare server: ${request.url ?? ''} failed: ${String(error)}`)
      send(response, 500, { error: 'query failed' })
    })
  })
}

async function handle(sql: Sql, scope: BareScope, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1')
  const match = STUDENT_PATH.exec(url.pathname)
  if (request.method !== 'GET' || !match) return send(response, 404, { error: `no route for ${request.method} ${url.pathname}` })

  const staffId = match[1] === 'teacher' ? scope.teacherStaffId : null
  const id = match[2]
  if (id !== undefined) {
    const row = await findStudent(sql, scope.schoolId, staffId, id)
    return row ? send(response, 200, row) : send(response, 404, { error: `student ${id} not found` })
  }

  const limit = Number(url.searchParams.get('limit') ?? 25)
  const rows = await listStudents(sql, scope.schoolId, staffId, limit)
  send(response, 200, { items: rows.slice(0, limit) })
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}

// The queries are written out whole, so the baseline pays for no fragment building.

async function listStudents(sql: Sql, schoolId: string, staffId: string | null, limit: number) {
  if (staffId === null) {
    return sql`
      SELECT id, school_id, version, created_at, updated_at, admission_number, first_name, last_name, birth_date, gender,
             email, phone, address, admitted_on, left_on, status, photo_ref
        FROM student
       WHERE school_id = ${schoolId}
       ORDER BY last_name ASC, id ASC
       LIMIT ${limit + 1}`
  }
  return sql`
    SELECT id, school_id, version, created_at, updated_at, admission_number, first_name, last_name, birth_date, gender,
           email, phone, address, admitted_on, left_on, status, photo_ref
      FROM student
     WHERE school_id = ${schoolId}
       AND id IN (SELECT e.student_id FROM enrolment e JOIN section s ON s.id = e.section_id WHERE s.homeroom_staff_id = ${staffId})
     ORDER BY last_name ASC, id ASC
     LIMIT ${limit + 1}`
}

async function findStudent(sql: Sql, schoolId: string, staffId: string | null, id: string) {
  if (staffId === null) {
    const [row] = await sql`
      SELECT id, school_id, version, created_at, updated_at, admission_number, first_name, last_name, birth_date, gender,
             email, phone, address, admitted_on, left_on, status, photo_ref
        FROM student
       WHERE school_id = ${schoolId} AND id = ${id}`
    return row
  }
  const [row] = await sql`
    SELECT id, school_id, version, created_at, updated_at, admission_number, first_name, last_name, birth_date, gender,
           email, phone, address, admitted_on, left_on, status, photo_ref
      FROM student
     WHERE school_id = ${schoolId} AND id = ${id}
       AND id IN (SELECT e.student_id FROM enrolment e JOIN section s ON s.id = e.section_id WHERE s.homeroom_staff_id = ${staffId})`
  return row
}
