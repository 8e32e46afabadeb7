import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { MAX_IMPORT_BYTES } from '../../api/student-import-routes'
import { createLogger } from '../../observability/logger'
import { seedSchool, seedUser, type SeededUser } from '../accounts-support'
import { createTestApp, FIXTURES, testConfig, type TestApp } from '../support'

const IMPORT_PATH = '/api/students/import'
const HEADER = 'admission_number,first_name,last_name,birth_date,admitted_on'

interface ImportProblem {
  row: number
  line: number
  field: string | null
  message: string
}

interface StudentRow {
  admission_number: string
  first_name: string
  last_name: string
  birth_date: string
  gender: string | null
  address: string | null
  admitted_on: string
  status: string
}

// The UCI files have neither names nor admission numbers, so the test makes them up from the
// row index. The Portuguese names also put multi-byte UTF-8 characters into the file.
const FIRST_NAMES = ['Inês', 'João', 'Maria', 'Tomás', 'Beatriz', 'Gonçalo', 'Leonor', 'Simão']
const LAST_NAMES = ['Silva', 'Conceição', 'Ferreira', 'Gonçalves', 'Magalhães', 'Simões', 'Araújo', 'Brandão']
const UCI_ADMITTED_ON = '2005-09-15'
// Birth dates are chosen so that each student's age on this date equals their `age` column.
const UCI_AGE_REFERENCE = { year: 2006, monthIndex: 8, day: 1 }
const DAY_MS = 86_400_000

interface ExpectedStudent {
  admissionNumber: string
  firstName: string
  lastName: string
  birthDate: string
  gender: string
  address: string
}

function expectedUciStudent(source: Record<string, string>, index: number, prefix: string): ExpectedStudent {
  const age = Number(source.age)
  const { year, monthIndex, day } = UCI_AGE_REFERENCE
  const birth = new Date(Date.UTC(year - age, monthIndex, day) - (index % 365) * DAY_MS)

  return {
    admissionNumber: `${prefix}-${String(index + 1).padStart(4, '0')}`,
    firstName: FIRST_NAMES[index % FIRST_NAMES.length]!,
    lastName: LAST_NAMES[Math.floor(index / FIRST_NAMES.length) % LAST_NAMES.length]!,
    birthDate: birth.toISOString().slice(0, 10),
    gender: source.sex === 'F' ? 'female' : 'male',
    address: source.address === 'U' ? 'urban' : 'rural',
  }
}

const dayFirst = (isoDate: string) => isoDate.split('-').reverse().join('/')
const quoted = (value: string) => `"${value.replaceAll('"', '""')}"`

/** Reads a UCI fixture and writes it as an import file: `;`-separated, text values quoted like the original. */
async function uciImportFile(file: string, prefix: string, dateStyle: 'iso' | 'day-first') {
  const text = await readFile(join(FIXTURES, 'uci-student-performance', file), 'utf8')
  const sources = parse(text, { delimiter: ';', columns: true }) as Record<string, string>[]
  const expected = sources.map((source, index) => expectedUciStudent(source, index, prefix))
  const date = (value: string) => (dateStyle === 'iso' ? value : dayFirst(value))

  // Header spellings vary on purpose: the import matches them ignoring case, spaces, _ and -.
  const header = 'Admission Number;First Name;last-name;BIRTH_DATE;Gender;address;admitted on'
  const lines = expected.map((student) =>
    [student.admissionNumber, student.firstName, student.lastName, date(student.birthDate), student.gender, student.address, date(UCI_ADMITTED_ON)].map(quoted).join(';'),
  )
  return { csv: `${header}\n${lines.join('\n')}\n`, expected, sources }
}

function studentLine(number: string, overrides: Partial<Record<'first' | 'last' | 'birth' | 'admitted', string>> = {}): string {
  return [number, overrides.first ?? 'Ana', overrides.last ?? 'Silva', overrides.birth ?? '2010-01-02', overrides.admitted ?? '2020-09-01'].join(',')
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1))

/**
 * Streams the chunks one by one. Readable.fromWeb merges chunks that are already queued, so
 * each pull waits a moment, as chunks from a socket do, to keep the boundaries where they are.
 */
function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      await tick()
      const chunk = chunks.shift()
      if (chunk === undefined) controller.close()
      else controller.enqueue(chunk)
    },
  })
}

/** Streams bytes in chunks of the given size, to split multi-byte characters across reads. */
function chunkedStream(bytes: Uint8Array, chunkSize: number): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = []
  for (let offset = 0; offset < bytes.length; offset += chunkSize) chunks.push(bytes.subarray(offset, offset + chunkSize))
  return streamOf(chunks)
}

describe('student CSV import', () => {
  let app: TestApp
  let http: ReturnType<typeof createApp>
  let schoolId: string
  let office: SeededUser

  beforeAll(async () => {
    app = await createTestApp()
    schoolId = await seedSchool(app.sql)
    office = await seedUser(app.sql, schoolId, ['office'])
    http = createApp({
      config: testConfig({ DATABASE_URL: app.url }),
      sql: app.sql,
      temporal: async () => {
        throw new Error('the import tests do not use Temporal')
      },
      logger: createLogger({ level: 'silent', name: 'api' }),
    })
  })

  afterAll(async () => {
    await app?.cleanup()
  })

  const post = (body: string | Uint8Array, user: SeededUser = office, contentType = 'text/csv') =>
    http.request(IMPORT_PATH, { method: 'POST', headers: { ...user.headers, 'content-type': contentType }, body })

  const postStream = (stream: ReadableStream<Uint8Array>, user: SeededUser = office) =>
    http.request(
      new Request(`http://127.0.0.1${IMPORT_PATH}`, { method: 'POST', headers: { ...user.headers, 'content-type': 'text/csv' }, body: stream, duplex: 'half' } as RequestInit),
    )

  /** Counts every student of every school, or the test school's students whose number starts with the prefix. */
  const studentCount = async (prefix?: string) => {
    const [row] =
      prefix === undefined
        ? await app.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM student`
        : await app.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM student WHERE school_id = ${schoolId} AND starts_with(admission_number, ${prefix})`
    return row!.count
  }

  const findStudent = async (admissionNumber: string) => {
    const [row] = await app.sql<StudentRow[]>`
      SELECT admission_number, first_name, last_name, birth_date, gender, address, admitted_on, status
        FROM student WHERE school_id = ${schoolId} AND admission_number = ${admissionNumber}`
    return row
  }

  const fieldsOf = async (response: Response) => ((await response.json()) as { fields: Record<string, string> }).fields
  const rejectionOf = async (response: Response) => (await response.json()) as { error: string; total: number; rows: ImportProblem[] }

  describe('UCI Student Performance data', () => {
    it('imports the 395 mathematics students', async () => {
      const { csv, expected, sources } = await uciImportFile('student-mat.csv', 'MAT', 'iso')

      const response = await post(csv)

      expect(response.status).toBe(201)
      expect(await response.json()).toEqual({ imported: 395 })
      expect(sources).toHaveLength(395)
      expect(await studentCount('MAT-')).toBe(395)
      const first = await findStudent('MAT-0001')
      // The first source row is "GP";"F";18;"U": an 18-year-old urban girl.
      expect(first).toEqual({
        admission_number: 'MAT-0001',
        first_name: 'Inês',
        last_name: 'Silva',
        birth_date: '1988-09-01',
        gender: 'female',
        address: 'urban',
        admitted_on: UCI_ADMITTED_ON,
        status: 'active',
      })
      for (const index of [1, 200, 394]) {
        const student = expected[index]!
        const stored = await findStudent(student.admissionNumber)
        expect(stored?.first_name).toBe(student.firstName)
        expect(stored?.last_name).toBe(student.lastName)
        expect(stored?.birth_date).toBe(student.birthDate)
        expect(stored?.gender).toBe(student.gender)
        expect(stored?.address).toBe(student.address)
      }
    })

    it('writes one audit row per imported student', async () => {
      const { csv } = await uciImportFile('student-mat.csv', 'AUD', 'iso')

      const response = await post(csv)

      expect(response.status).toBe(201)
      const requestId = response.headers.get('x-request-id')
      const events = await app.sql<{ entity_id: string; actor_id: string; after: { admissionNumber: string } }[]>`
        SELECT entity_id, actor_id, after FROM audit_event
         WHERE request_id = ${requestId} AND entity = 'student' AND action = 'import'`
      expect(events).toHaveLength(395)
      expect(new Set(events.map((event) => event.entity_id)).size).toBe(395)
      expect(events.every((event) => event.actor_id === office.id)).toBe(true)
      expect(events.every((event) => event.after.admissionNumber.startsWith('AUD-'))).toBe(true)
    })

    it('imports the 649 Portuguese students with day-first dates', async () => {
      const { csv, expected } = await uciImportFile('student-por.csv', 'POR', 'day-first')

      const response = await post(csv)

      expect(response.status).toBe(201)
      expect(await response.json()).toEqual({ imported: 649 })
      expect(await studentCount('POR-')).toBe(649)
      for (const index of [0, 381, 648]) {
        const student = expected[index]!
        const stored = await findStudent(student.admissionNumber)
        expect(stored?.birth_date).toBe(student.birthDate)
        expect(stored?.gender).toBe(student.gender)
        expect(stored?.address).toBe(student.address)
        expect(stored?.last_name).toBe(student.lastName)
      }
    })
  })

  describe('rejected files', () => {
    it('rejects an unsupported delimiter', async () => {
      const before = await studentCount()
      const body = `${HEADER.replaceAll(',', '|')}\n${studentLine('P-1').replaceAll(',', '|')}\n`

      const response = await post(body)

      expect(response.status).toBe(400)
      expect((await fieldsOf(response)).header).toContain('contains no delimiter; separate the column names with one of: comma, semicolon, tab')
      expect(await studentCount()).toBe(before)
    })

    it('lists missing required columns', async () => {
      const before = await studentCount()
      const body = 'admission_number,first_name,last_name\nM-1,Ana,Silva\n'

      const response = await post(body)

      expect(response.status).toBe(400)
      expect(await fieldsOf(response)).toEqual({
        birth_date: 'is a required column but the header lacks it',
        admitted_on: 'is a required column but the header lacks it',
      })
      expect(await studentCount()).toBe(before)
    })

    it('lists unknown, repeated and unnamed columns', async () => {
      const before = await studentCount()
      const body = `${HEADER},favourite_colour,First-Name,\n${studentLine('U-1')},blue,Ana,\n`

      const response = await post(body)

      expect(response.status).toBe(400)
      const fields = await fieldsOf(response)
      expect(Object.keys(fields).sort()).toEqual(['First-Name', 'column 8', 'favourite_colour'])
      expect(fields.favourite_colour).toMatch(/^is not a known column; the columns are admission_number, first_name/)
      expect(fields['First-Name']).toBe('repeats the column first_name, which an earlier header name already names')
      expect(fields['column 8']).toBe('has no name in the header')
      expect(await studentCount()).toBe(before)
    })

    it('rejects Latin-1 bytes with their offset', async () => {
      const before = await studentCount()
      const prefix = `${HEADER}\nL-1,Jos`
      const body = Buffer.concat([Buffer.from(prefix), Buffer.from([0xe9]), Buffer.from(',Silva,2010-01-02,2020-09-01\n')])

      const response = await post(body)

      expect(response.status).toBe(400)
      expect((await fieldsOf(response)).body).toContain(`byte 0xE9 at offset ${prefix.length} (counting from 0) on line 2`)
      expect(await studentCount()).toBe(before)
    })

    it('finds a bad byte after split characters', async () => {
      const before = await studentCount()
      const valid = Buffer.from(`${HEADER}\nS-1,João,Conceição,2010-01-02,2020-09-01\nS-2,Gonçalo,`)
      const body = Buffer.concat([valid, Buffer.from([0xc3, 0x28]), Buffer.from(',2010-01-02,2020-09-01\n')])

      const response = await postStream(chunkedStream(body, 3))

      expect(response.status).toBe(400)
      expect((await fieldsOf(response)).body).toContain(`byte 0xC3 at offset ${valid.length} (counting from 0) on line 3`)
      expect(await studentCount()).toBe(before)
    })

    it('finds a bad byte after a cut character', async () => {
      const before = await studentCount()
      // The first chunk ends after the first byte of "ç" (C3 A7), so the decoder has buffered
      // that byte when the second chunk, with the bad byte 0xFF, arrives.
      const prefix = Buffer.from(`${HEADER}\nK-1,Gon`)
      const chunks = [Buffer.concat([prefix, Buffer.from([0xc3])]), Buffer.concat([Buffer.from([0xa7, 0xff]), Buffer.from('alo,Silva,2010-01-02,2020-09-01\n')])]

      const response = await postStream(streamOf(chunks))

      expect(response.status).toBe(400)
      expect((await fieldsOf(response)).body).toContain(`byte 0xFF at offset ${prefix.length + 2} (counting from 0) on line 2`)
      expect(await studentCount()).toBe(before)
    })

    it('rejects a file cut inside a character', async () => {
      const before = await studentCount()
      const valid = Buffer.from(`${HEADER}\nC-1,Ana,Silva,2010-01-02,2020-09-01\n`)
      const body = Buffer.concat([valid, Buffer.from([0xe2, 0x82])])

      const response = await post(body)

      expect(response.status).toBe(400)
      expect((await fieldsOf(response)).body).toContain(`it ends inside a character that starts at byte offset ${valid.length}`)
      expect(await studentCount()).toBe(before)
    })

    it('rejects impossible and malformed dates', async () => {
      const before = await studentCount()
      const body = [
        HEADER,
        studentLine('D-1', { birth: '31/02/2010' }),
        studentLine('D-2', { birth: '2010-02-31' }),
        studentLine('D-3'),
        studentLine('D-4', { admitted: '2010/09/01' }),
        studentLine('D-5', { birth: '29/02/2012' }),
      ].join('\n')

      const response = await post(body)

      expect(response.status).toBe(422)
      const rejection = await rejectionOf(response)
      expect(rejection.error).toBe('the file has 3 problems, so no student was imported')
      expect(rejection.total).toBe(3)
      expect(rejection.rows).toEqual([
        { row: 1, line: 2, field: 'birthDate', message: 'birth date "31/02/2010" is not a date' },
        { row: 2, line: 3, field: 'birthDate', message: 'birth date "2010-02-31" is not a date' },
        { row: 4, line: 5, field: 'admittedOn', message: 'admitted on "2010/09/01" is not a date in the form YYYY-MM-DD or DD/MM/YYYY' },
      ])
      expect(await studentCount()).toBe(before)
    })

    it('reports each invalid field of a row', async () => {
      const before = await studentCount()
      const body = [
        'admission_number,first_name,last_name,birth_date,admitted_on,left_on,gender,email,phone,status',
        'F-1,,Silva,2010-01-02,2020-09-01,2019-06-30,x,not-an-email,call me,Expelled',
        'F-2,Ana,Silva,2010-01-02,2020-09-01,,Female,ana@school.test,+351 21 000 0000,Active',
      ].join('\n')

      const response = await post(body)

      expect(response.status).toBe(422)
      const rows = (await rejectionOf(response)).rows
      expect(rows.map((problem) => problem.field)).toEqual(['firstName', 'gender', 'email', 'phone', 'status'])
      expect(rows.every((problem) => problem.row === 1)).toBe(true)
      expect(rows[0]?.message).toBe('first name is missing')
      expect(rows[1]?.message).toBe('gender "x" is not one of female, male, other')
      expect(rows[2]?.message).toBe('email "not-an-email" is not an email address')
      expect(rows[3]?.message).toBe('phone "call me" is invalid: must be a phone number of digits, spaces, +, ( ) or -')
      expect(rows[4]?.message).toBe('status "expelled" is not one of active, withdrawn, graduated')
      expect(await studentCount()).toBe(before)
    })

    it('rejects leaving before admission', async () => {
      const before = await studentCount()
      const body = `${HEADER},left_on\n${studentLine('E-1')},2019-06-30\n`

      const response = await post(body)

      expect(response.status).toBe(422)
      expect((await rejectionOf(response)).rows).toEqual([{ row: 1, line: 2, field: 'leftOn', message: 'left on "2019-06-30" is not after admitted on "2020-09-01"' }])
      expect(await studentCount()).toBe(before)
    })

    it('rejects duplicate admission numbers', async () => {
      const before = await studentCount()
      const body = [HEADER, studentLine('DUP-1'), studentLine('DUP-2'), studentLine('DUP-1', { first: 'Rita' }), studentLine(' DUP-2 ')].join('\n')

      const response = await post(body)

      expect(response.status).toBe(422)
      expect((await rejectionOf(response)).rows).toEqual([
        { row: 3, line: 4, field: 'admissionNumber', message: 'admission number "DUP-1" is also in row 1' },
        { row: 4, line: 5, field: 'admissionNumber', message: 'admission number "DUP-2" is also in row 2' },
      ])
      expect(await studentCount()).toBe(before)
    })

    it('rejects numbers the school already uses', async () => {
      const seeded = await post(`${HEADER}\n${studentLine('TAKEN-1')}\n`)
      expect(seeded.status).toBe(201)
      const before = await studentCount()
      const body = [HEADER, studentLine('FREE-1'), studentLine('TAKEN-1'), studentLine('FREE-2', { birth: '30/02/2011' })].join('\n')

      const response = await post(body)

      expect(response.status).toBe(422)
      expect((await rejectionOf(response)).rows).toEqual([
        { row: 2, line: 3, field: 'admissionNumber', message: 'admission number "TAKEN-1" already belongs to a student of this school' },
        { row: 3, line: 4, field: 'birthDate', message: 'birth date "30/02/2011" is not a date' },
      ])
      expect(await findStudent('FREE-1')).toBeUndefined()
      expect(await studentCount()).toBe(before)
    })

    it('accepts a number used by another school', async () => {
      const otherSchool = await seedSchool(app.sql)
      const otherOffice = await seedUser(app.sql, otherSchool, ['office'])
      expect((await post(`${HEADER}\n${studentLine('SHARED-1')}\n`, otherOffice)).status).toBe(201)

      const response = await post(`${HEADER}\n${studentLine('SHARED-1')}\n`)

      expect(response.status).toBe(201)
      expect((await findStudent('SHARED-1'))?.first_name).toBe('Ana')
    })

    it('rejects a row with too few values', async () => {
      const before = await studentCount()
      const body = `${HEADER}\nR-1,Ana,Silva,2010-01-02\n`

      const response = await post(body)

      expect(response.status).toBe(422)
      expect((await rejectionOf(response)).rows).toEqual([{ row: 1, line: 2, field: null, message: 'the row has 4 values but the header has 5 columns' }])
      expect(await studentCount()).toBe(before)
    })

    it('lists 100 of many problems', async () => {
      const before = await studentCount()
      const lines = Array.from({ length: 150 }, (_, index) => studentLine(`MANY-${index}`, { birth: 'soon' }))

      const response = await post([HEADER, ...lines].join('\n'))

      expect(response.status).toBe(422)
      const rejection = await rejectionOf(response)
      expect(rejection.total).toBe(150)
      expect(rejection.rows).toHaveLength(100)
      expect(rejection.rows[99]?.row).toBe(100)
      expect(rejection.error).toBe('the file has 150 problems, so no student was imported; the first 100 are listed')
      expect(await studentCount()).toBe(before)
    })

    it('rejects an unclosed quote', async () => {
      const before = await studentCount()
      const body = `${HEADER}\nQ-1,"Ana,Silva,2010-01-02,2020-09-01\n`

      const response = await post(body)

      expect(response.status).toBe(400)
      expect((await fieldsOf(response)).body).toMatch(/^is not valid CSV: Quote Not Closed/)
      expect(await studentCount()).toBe(before)
    })

    it('rejects an empty file', async () => {
      const before = await studentCount()

      const empty = await post('')
      const bomOnly = await post(new Uint8Array([0xef, 0xbb, 0xbf]))

      expect(empty.status).toBe(400)
      expect((await fieldsOf(empty)).body).toBe('is empty; send a header line and then one line per student')
      expect(bomOnly.status).toBe(400)
      expect((await fieldsOf(bomOnly)).body).toBe('is empty; send a header line and then one line per student')
      expect(await studentCount()).toBe(before)
    })

    it('rejects a header without rows', async () => {
      const before = await studentCount()

      const response = await post(`${HEADER}\n\n`)

      expect(response.status).toBe(400)
      expect((await fieldsOf(response)).body).toBe('has a header but no student rows')
      expect(await studentCount()).toBe(before)
    })

    it('rejects a blank first line', async () => {
      const response = await post(`\n${HEADER}\n${studentLine('B-1')}\n`)

      expect(response.status).toBe(400)
      expect((await fieldsOf(response)).header).toContain('line 1 is blank')
    })

    it('rejects a body over the limit', async () => {
      const before = await studentCount()
      const line = `${studentLine('BIG-0')}\n`
      const body = Buffer.alloc(MAX_IMPORT_BYTES + 1, line)
      body.write(`${HEADER}\n`)

      const streamed = await postStream(chunkedStream(body, 1024 * 1024))
      const declared = await http.request(IMPORT_PATH, {
        method: 'POST',
        headers: { ...office.headers, 'content-type': 'text/csv', 'content-length': String(body.length) },
        body: 'x',
      })

      expect(streamed.status).toBe(413)
      expect(((await streamed.json()) as { error: string }).error).toBe(`the file is larger than the limit of 20 MiB (${MAX_IMPORT_BYTES} bytes); split it into smaller files`)
      expect(declared.status).toBe(413)
      expect(await studentCount()).toBe(before)
    })

    it('rejects other content types', async () => {
      const body = `${HEADER}\n${studentLine('T-1')}\n`

      const plain = await post(body, office, 'text/plain')
      const latin1 = await post(body, office, 'text/csv; charset=iso-8859-1')

      expect(plain.status).toBe(415)
      expect(latin1.status).toBe(415)
      expect(((await latin1.json()) as { error: string }).error).toBe('the file must be UTF-8, but Content-Type declares charset=iso-8859-1')
      expect(await findStudent('T-1')).toBeUndefined()
    })
  })

  describe('accepted formats', () => {
    it('strips a BOM and reads tabs with CRLF', async () => {
      // Quoted names: a BOM left in front of the first quote would make the header invalid CSV.
      const quotedHeader = HEADER.split(',').map(quoted).join('\t')
      const text = `${quotedHeader}\r\n${studentLine('TAB-1', { first: 'Simão' }).replaceAll(',', '\t')}\r\n`
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])

      const response = await postStream(chunkedStream(body, 1))

      expect(response.status).toBe(201)
      expect((await findStudent('TAB-1'))?.first_name).toBe('Simão')
    })

    it('keeps quoted delimiters and line breaks', async () => {
      const body = `${HEADER},address,status\nQ-2,Ana,"Silva, Jr.",2010-01-02,2020-09-01,"Rua Nova 1\n1000-001 Lisboa",graduated\nQ-3,Rui,Sá,02/01/2010,01/09/2020,,\n`

      const response = await post(body, office, 'text/csv; charset=UTF-8')

      expect(response.status).toBe(201)
      expect(await response.json()).toEqual({ imported: 2 })
      const first = await findStudent('Q-2')
      expect(first?.last_name).toBe('Silva, Jr.')
      expect(first?.address).toBe('Rua Nova 1\n1000-001 Lisboa')
      expect(first?.status).toBe('graduated')
      const second = await findStudent('Q-3')
      expect(second?.birth_date).toBe('2010-01-02')
      expect(second?.address).toBeNull()
      expect(second?.status).toBe('active')
    })
  })

  it('imports 10,000 rows in one request', async () => {
    const lines = Array.from({ length: 10_000 }, (_, index) => studentLine(`GEN-${String(index).padStart(5, '0')}`, { first: FIRST_NAMES[index % FIRST_NAMES.length] }))
    const body = `${HEADER}\n${lines.join('\n')}\n`

    const started = performance.now()
    const response = await post(body)
    const elapsedMs = Math.round(performance.now() - started)

    console.log(`imported 10,000 students (${Buffer.byteLength(body)} bytes) in ${elapsedMs} ms`)
    expect(response.status).toBe(201)
    expect(await response.json()).toEqual({ imported: 10_000 })
    expect(await studentCount('GEN-')).toBe(10_000)
  })

  it('forbids teachers and accountants', async () => {
    const teacher = await seedUser(app.sql, schoolId, ['teacher'])
    const accountant = await seedUser(app.sql, schoolId, ['accountant'])
    const body = `${HEADER}\n${studentLine('NO-1')}\n`

    const asTeacher = await post(body, teacher)
    const asAccountant = await post(body, accountant)

    expect(asTeacher.status).toBe(403)
    expect(asAccountant.status).toBe(403)
    expect(await findStudent('NO-1')).toBeUndefined()
  })

  it('is listed in the catalog and OpenAPI', async () => {
    const response = await http.request('/openapi.json')
    const document = (await response.json()) as { paths: Record<string, { post?: { requestBody?: { content: Record<string, unknown> } } }> }

    expect(http.catalog.routes).toContainEqual({ method: 'POST', path: IMPORT_PATH, permission: 'students:write' })
    expect(Object.keys(document.paths[IMPORT_PATH]?.post?.requestBody?.content ?? {})).toEqual(['text/csv'])
  })
})
