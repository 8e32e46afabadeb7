import type { z } from '@hono/zod-openapi'
import { endsAfterStart, studentInput } from './records'

// Mapping a CSV file of students onto `studentInput`: header names to fields, cells to values,
// and zod issues to messages that name the column and quote the value.

export type StudentInput = z.infer<typeof studentInput>

/**
 * Columns a student CSV file may have, each with the `studentInput` field it fills.
 * `photo_ref` is left out because it points at an uploaded file, which an import cannot carry.
 */
export const STUDENT_CSV_COLUMNS = {
  admission_number: 'admissionNumber',
  first_name: 'firstName',
  last_name: 'lastName',
  birth_date: 'birthDate',
  gender: 'gender',
  email: 'email',
  phone: 'phone',
  address: 'address',
  admitted_on: 'admittedOn',
  left_on: 'leftOn',
  status: 'status',
} as const satisfies Record<string, keyof StudentInput>

export type StudentColumn = keyof typeof STUDENT_CSV_COLUMNS
export type StudentCsvField = (typeof STUDENT_CSV_COLUMNS)[StudentColumn]

/** Columns whose fields `studentInput` requires. */
export const REQUIRED_STUDENT_COLUMNS: readonly StudentColumn[] = ['admission_number', 'first_name', 'last_name', 'birth_date', 'admitted_on']

const ALL_COLUMNS = Object.keys(STUDENT_CSV_COLUMNS) as StudentColumn[]
const REQUIRED_FIELDS = new Set<StudentCsvField>(REQUIRED_STUDENT_COLUMNS.map((column) => STUDENT_CSV_COLUMNS[column]))
const DATE_FIELDS = new Set<StudentCsvField>(['birthDate', 'admittedOn', 'leftOn'])
const ENUM_FIELDS = new Set<StudentCsvField>(['gender', 'status'])
const LABELS = new Map<StudentCsvField, string>(ALL_COLUMNS.map((column) => [STUDENT_CSV_COLUMNS[column], column.replaceAll('_', ' ')]))

/** Folds a header name to its lookup key: case, spaces, `_` and `-` are ignored. */
export function columnKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '')
}

const COLUMN_BY_KEY = new Map<string, StudentColumn>(ALL_COLUMNS.map((column) => [columnKey(column), column]))

export interface HeaderProblems {
  /** Required columns the header lacks. */
  missing: StudentColumn[]
  /** Header names that match no column, as written in the file. */
  unknown: string[]
  /** Header names that match a column an earlier name already matched. */
  repeated: { name: string; column: StudentColumn }[]
  /** 1-based positions of empty header names. */
  unnamed: number[]
}

export type HeaderMapping = { ok: true; fields: StudentCsvField[] } | { ok: false; problems: HeaderProblems }

/** Maps each header name to the field its column fills, or lists every problem of the header. */
export function mapHeader(names: readonly string[]): HeaderMapping {
  const problems: HeaderProblems = { missing: [], unknown: [], repeated: [], unnamed: [] }
  const seen = new Set<StudentColumn>()
  const fields: StudentCsvField[] = []

  names.forEach((name, index) => {
    const column = COLUMN_BY_KEY.get(columnKey(name))
    if (name.trim() === '') problems.unnamed.push(index + 1)
    else if (column === undefined) problems.unknown.push(name.trim())
    else if (seen.has(column)) problems.repeated.push({ name: name.trim(), column })
    else {
      seen.add(column)
      fields.push(STUDENT_CSV_COLUMNS[column])
    }
  })
  problems.missing = REQUIRED_STUDENT_COLUMNS.filter((column) => !seen.has(column))

  const valid = Object.values(problems).every((list) => list.length === 0)
  return valid ? { ok: true, fields } : { ok: false, problems }
}

export type DateReading = { ok: true; date: string } | { ok: false; problem: 'format' | 'calendar' }

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DAY_FIRST_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0
}

/**
 * Reads a date written as `YYYY-MM-DD` or day first as `DD/MM/YYYY` and returns it as
 * `YYYY-MM-DD`. A day the calendar lacks, such as 31/02/2010, is a `calendar` problem.
 */
export function readCsvDate(text: string): DateReading {
  const iso = ISO_DATE.exec(text)
  const dayFirst = iso ? null : DAY_FIRST_DATE.exec(text)
  if (!iso && !dayFirst) return { ok: false, problem: 'format' }

  const [year, month, day] = iso ? [iso[1], iso[2], iso[3]].map(Number) : [dayFirst?.[3], dayFirst?.[2], dayFirst?.[1]].map(Number)
  if (!year || !month || !day || month > 12 || day > daysInMonth(year, month)) return { ok: false, problem: 'calendar' }

  return { ok: true, date: `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}` }
}

/** Problem of one row. Its `field` is null when the whole row is wrong. */
export interface FieldProblem {
  field: StudentCsvField | null
  message: string
}

export type RowReading = { ok: true; student: StudentInput } | { ok: false; problems: FieldProblem[] }

const labelOf = (field: StudentCsvField) => LABELS.get(field) ?? field

function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
}

type CellReading = { value: string | null | undefined } | { problem: string }

/** Turns one cell into the value given to `studentInput`. An empty cell is null, or left out for `status`. */
function readCell(field: StudentCsvField, cell: string): CellReading {
  const text = cell.trim()
  const label = labelOf(field)

  if (text === '') {
    if (REQUIRED_FIELDS.has(field)) return { problem: `${label} is missing` }
    return { value: field === 'status' ? undefined : null }
  }
  if (DATE_FIELDS.has(field)) {
    const reading = readCsvDate(text)
    if (reading.ok) return { value: reading.date }
    if (reading.problem === 'calendar') return { problem: `${label} ${quote(text)} is not a date` }
    return { problem: `${label} ${quote(text)} is not a date in the form YYYY-MM-DD or DD/MM/YYYY` }
  }
  return { value: ENUM_FIELDS.has(field) ? text.toLowerCase() : text }
}

function describeIssue(issue: z.ZodError['issues'][number], field: StudentCsvField, value: string): string {
  const label = labelOf(field)

  if (issue.code === 'too_small') return `${label} is missing`
  if (issue.code === 'too_big') return `${label} is longer than ${issue.maximum} characters`
  if (issue.code === 'invalid_value') return `${label} ${quote(value)} is not one of ${issue.values.join(', ')}`
  if (issue.code === 'invalid_format' && issue.format === 'email') return `${label} ${quote(value)} is not an email address`
  return `${label} ${quote(value)} is invalid: ${issue.message}`
}

/** Validates one data row against `studentInput`, listing at most one problem per field. */
export function readStudentRow(cells: readonly string[], fields: readonly StudentCsvField[]): RowReading {
  if (cells.length !== fields.length) {
    return { ok: false, problems: [{ field: null, message: `the row has ${cells.length} values but the header has ${fields.length} columns` }] }
  }

  const values: Record<string, string | null | undefined> = {}
  const problems = new Map<StudentCsvField, string>()
  fields.forEach((field, index) => {
    const reading = readCell(field, cells[index] ?? '')
    if ('problem' in reading) problems.set(field, reading.problem)
    else if (reading.value !== undefined) values[field] = reading.value
  })

  const parsed = studentInput.safeParse(values)
  for (const issue of parsed.error?.issues ?? []) {
    const field = issue.path[0] as StudentCsvField
    if (!problems.has(field)) problems.set(field, describeIssue(issue, field, String(values[field] ?? '')))
  }
  if (parsed.success && !endsAfterStart(parsed.data.admittedOn, parsed.data.leftOn)) {
    problems.set('leftOn', `left on ${quote(parsed.data.leftOn ?? '')} is not after admitted on ${quote(parsed.data.admittedOn)}`)
  }

  if (parsed.success && problems.size === 0) return { ok: true, student: parsed.data }
  return { ok: false, problems: [...problems].map(([field, message]) => ({ field, message })) }
}
