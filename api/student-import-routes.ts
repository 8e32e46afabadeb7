import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { HTTPException } from 'hono/http-exception'
import type { ReadableStream } from 'node:stream/web'
import type { Sql } from '../data/db'
import { findTakenAdmissionNumbers, insertImportedStudents } from '../data/student-import'
import { REQUIRED_STUDENT_COLUMNS, STUDENT_CSV_COLUMNS, mapHeader, type HeaderProblems, type StudentCsvField } from '../domain/student-csv'
import { MAX_LISTED_PROBLEMS, StudentImportCheck } from '../domain/student-import-check'
import type { AppEnv } from './app'
import { principal, requirePermission } from './authentication'
import { bodyTooLarge, readCsvRecords } from './csv-body'
import { ValidationError } from './errors'
import type { RouteCatalog } from './route-catalog'

/** Maximum size of an import body: 20 MiB, which is about 200,000 rows of 100 bytes each. */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024

const PATH = '/api/students/import'
const PERMISSION = 'students:write'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description })
const errorBody = z.object({ error: z.string(), requestId: z.string().optional() })
const invalidBody = errorBody.extend({ fields: z.record(z.string(), z.string()) })
const importProblem = z.object({ row: z.number().int(), line: z.number().int(), field: z.string().nullable(), message: z.string() }).openapi('StudentImportProblem')
const rejection = errorBody.extend({ total: z.number().int(), rows: z.array(importProblem) }).openapi('StudentImportRejection')

const columnList = Object.keys(STUDENT_CSV_COLUMNS).join(', ')
const BODY_DESCRIPTION = [
  `A UTF-8 CSV file (a byte order mark is allowed) of at most ${MAX_IMPORT_BYTES} bytes, one student per row.`,
  'The delimiter is a comma, semicolon or tab, whichever the header line uses.',
  `Columns: ${columnList}; required: ${REQUIRED_STUDENT_COLUMNS.join(', ')}.`,
  'Header names match ignoring case, spaces, _ and -, and a name that matches no column rejects the file.',
  'Dates are YYYY-MM-DD or day first, DD/MM/YYYY.',
].join(' ')

const route = createRoute({
  method: 'post',
  path: PATH,
  tags: ['Students'],
  summary: 'Import students from a CSV file',
  description: 'All or nothing: every row is checked first, and the students are inserted in one transaction only when no row has a problem.',
  middleware: [requirePermission(PERMISSION)],
  request: { body: { content: { 'text/csv': { schema: z.string().openapi({ format: 'binary' }) } }, required: true, description: BODY_DESCRIPTION } },
  responses: {
    201: json(z.object({ imported: z.number().int() }), 'every row was imported'),
    400: json(invalidBody, 'the body is empty, not UTF-8, not valid CSV, or its header lacks or has unknown columns'),
    401: json(errorBody, 'not signed in'),
    403: json(errorBody, 'not allowed'),
    409: json(errorBody, 'another request took an admission number of the file during the import'),
    413: json(errorBody, `the body is larger than ${MAX_IMPORT_BYTES} bytes`),
    415: json(errorBody, 'the body is not text/csv in UTF-8'),
    422: json(rejection, `rows have problems and nothing was imported; row 1 is the first row after the header, and at most ${MAX_LISTED_PROBLEMS} problems are listed`),
  },
})

/** Rejects a body that is not declared as CSV, or is declared in another encoding than UTF-8. */
function checkContentType(header: string | undefined): void {
  const [mediaType, ...parameters] = (header ?? '').split(';').map((part) => part.trim().toLowerCase())
  if (mediaType !== 'text/csv') {
    throw new HTTPException(415, { message: `send the file with Content-Type: text/csv (the request has ${header ?? 'no Content-Type'})` })
  }

  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length).replaceAll('"', '')
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HTTPException(415, { message: `the file must be UTF-8, but Content-Type declares charset=${charset}` })
  }
}

/** Rejects a declared body size over the limit before reading the body. The stream is counted as well. */
function checkContentLength(header: string | undefined): void {
  if (header !== undefined && Number(header) > MAX_IMPORT_BYTES) throw bodyTooLarge(MAX_IMPORT_BYTES)
}

function headerProblemFields(problems: HeaderProblems): Record<string, string> {
  const fields: Record<string, string> = {}

  for (const column of problems.missing) fields[column] = 'is a required column but the header lacks it'
  for (const name of problems.unknown) fields[name] = `is not a known column; the columns are ${columnList}`
  for (const { name, column } of problems.repeated) fields[name] = `repeats the column ${column}, which an earlier header name already names`
  for (const position of problems.unnamed) fields[`column ${position}`] = 'has no name in the header'
  return fields
}

function headerFields(names: readonly string[]): StudentCsvField[] {
  const mapping = mapHeader(names)
  if (!mapping.ok) throw new ValidationError(headerProblemFields(mapping.problems))
  return mapping.fields
}

/** Reads the CSV body and checks every row. Problems of the file as a whole are thrown. */
async function checkStudentCsv(body: ReadableStream<Uint8Array>): Promise<StudentImportCheck> {
  let check: StudentImportCheck | undefined

  for await (const record of readCsvRecords(body, MAX_IMPORT_BYTES)) {
    if (check) check.addRecord(record.cells, record.line)
    else check = new StudentImportCheck(headerFields(record.cells))
  }

  if (!check) throw new ValidationError({ body: 'is empty; send a header line and then one line per student' })
  if (check.rows === 0) throw new ValidationError({ body: 'has a header but no student rows' })
  return check
}

function rejectionBody(check: StudentImportCheck, requestId: string) {
  const total = check.problemCount
  const listed = check.listProblems()
  const more = listed.length < total ? `; the first ${listed.length} are listed` : ''
  const error = `the file has ${total} ${total === 1 ? 'problem' : 'problems'}, so no student was imported${more}`
  return { error, total, rows: listed, requestId }
}

/** Registers the CSV import of students. */
export function registerStudentImportRoutes(app: OpenAPIHono<AppEnv>, catalog: RouteCatalog, sql: Sql): void {
  catalog.add({ method: 'POST', path: PATH, permission: PERMISSION })

  app.openapi(route, async (c) => {
    checkContentType(c.req.header('content-type'))
    checkContentLength(c.req.header('content-length'))
    const caller = principal(c)
    const body = c.req.raw.body
    if (!body) throw new ValidationError({ body: 'is empty; send a header line and then one line per student' })

    const check = await checkStudentCsv(body as ReadableStream<Uint8Array>)
    check.markTaken(await findTakenAdmissionNumbers(sql, caller.schoolId, check.admissionNumbers()))
    if (check.problemCount > 0) return c.json(rejectionBody(check, c.get('requestId')) as never, 422)

    const students = check.students.map((checked) => checked.student)
    const imported = await insertImportedStudents(sql, { schoolId: caller.schoolId, userId: caller.userId, requestId: c.get('requestId') }, students)
    return c.json({ imported } as never, 201)
  })
}
