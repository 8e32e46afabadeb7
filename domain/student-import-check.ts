import { readStudentRow, type FieldProblem, type StudentCsvField, type StudentInput } from './student-csv'

/**
 * Position of a row in the file. `row` counts data rows from 1, leaving out the header and
 * blank lines, and `line` is the file line the row starts on, where the header is line 1.
 */
export interface RowPosition {
  row: number
  line: number
}

export type ImportProblem = RowPosition & FieldProblem

export interface CheckedStudent extends RowPosition {
  student: StudentInput
}

/** Maximum number of problems a rejected import lists. Further problems are only counted. */
export const MAX_LISTED_PROBLEMS = 100

/** Keeps the first problems in row order, up to the limit, and counts every one. */
class ProblemList {
  readonly listed: ImportProblem[] = []
  count = 0

  add(problem: ImportProblem): void {
    this.count++
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push(problem)
  }
}

/**
 * Validates the data rows of a student import one by one: each row against `studentInput`,
 * and admission numbers against earlier rows and, once every row is read, against the
 * numbers the school already uses.
 */
export class StudentImportCheck {
  readonly students: CheckedStudent[] = []
  private readonly rowProblems = new ProblemList()
  private readonly takenProblems = new ProblemList()
  private readonly firstRowByNumber = new Map<string, RowPosition>()
  private readonly numberIndex: number
  private rowCount = 0

  constructor(private readonly fields: readonly StudentCsvField[]) {
    this.numberIndex = fields.indexOf('admissionNumber')
  }

  /** Data rows read so far, blank lines not counted. */
  get rows(): number {
    return this.rowCount
  }

  /** Checks one record after the header. A record whose cells are all empty is skipped. */
  addRecord(cells: readonly string[], line: number): void {
    if (cells.every((cell) => cell.trim() === '')) return
    this.rowCount++
    const position = { row: this.rowCount, line }

    const reading = readStudentRow(cells, this.fields)
    if (!reading.ok) for (const problem of reading.problems) this.rowProblems.add({ ...position, ...problem })

    const duplicate = this.checkDuplicate(cells, position)
    if (reading.ok && !duplicate) this.students.push({ ...position, student: reading.student })
  }

  /** Records the row's admission number, and reports it and returns true when an earlier row has it. */
  private checkDuplicate(cells: readonly string[], position: RowPosition): boolean {
    // The number is compared as studentInput saves it: trimmed and case-sensitive, as the
    // unique constraint on (school_id, admission_number) compares it.
    const number = cells[this.numberIndex]?.trim() ?? ''
    if (number === '') return false

    const first = this.firstRowByNumber.get(number)
    if (first === undefined) {
      this.firstRowByNumber.set(number, position)
      return false
    }
    this.rowProblems.add({ ...position, field: 'admissionNumber', message: `admission number ${JSON.stringify(number)} is also in row ${first.row}` })
    return true
  }

  /** Distinct admission numbers of the file, in the order of their first row. */
  admissionNumbers(): string[] {
    return [...this.firstRowByNumber.keys()]
  }

  /** Reports, at its first row, each admission number that already belongs to a student of the school. */
  markTaken(takenNumbers: ReadonlySet<string>): void {
    for (const [number, position] of this.firstRowByNumber) {
      if (!takenNumbers.has(number)) continue
      this.takenProblems.add({ ...position, field: 'admissionNumber', message: `admission number ${JSON.stringify(number)} already belongs to a student of this school` })
    }
  }

  get problemCount(): number {
    return this.rowProblems.count + this.takenProblems.count
  }

  /** Returns the first problems of the file in row order, at most MAX_LISTED_PROBLEMS. */
  listProblems(): ImportProblem[] {
    // Each list is in row order and contains its own first MAX_LISTED_PROBLEMS, so the merged
    // list contains the first MAX_LISTED_PROBLEMS of the file.
    const merged = [...this.rowProblems.listed, ...this.takenProblems.listed].sort((a, b) => a.row - b.row)
    return merged.slice(0, MAX_LISTED_PROBLEMS)
  }
}
