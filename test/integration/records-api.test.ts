import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { createLogger } from '../../observability/logger'
import { seedSchool, seedStaff, seedUser, type SeededUser } from '../accounts-support'
import { createTestApp, testConfig, type TestApp } from '../support'

type Json = Record<string, unknown>

describe('school records API', () => {
  let app: TestApp
  let http: ReturnType<typeof createApp>
  let schoolId: string
  let admin: SeededUser
  let office: SeededUser
  let teacher: SeededUser
  let accountant: SeededUser
  let otherSchoolAdmin: SeededUser
  let sectionA: string
  let sectionB: string
  let yearId: string

  async function call(user: SeededUser, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await http.request(path, {
      method,
      headers: { ...user.headers, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, etag: response.headers.get('etag'), body: (text ? JSON.parse(text) : null) as Json }
  }

  async function createStudent(admissionNumber: string, lastName: string, section?: string) {
    const created = await call(office, 'POST', '/api/students', {
      admissionNumber,
      firstName: 'Ana',
      lastName,
      birthDate: '2012-05-01',
      admittedOn: '2024-09-01',
    })
    expect(created.status).toBe(201)
    if (section) {
      const enrolled = await call(office, 'POST', '/api/enrolments', { studentId: created.body.id, academicYearId: yearId, sectionId: section, enrolledOn: '2024-09-01' })
      expect(enrolled.status).toBe(201)
    }
    return created.body.id as string
  }

  async function count(table: string): Promise<number> {
    const [row] = await app.sql<{ n: string }[]>`SELECT count(*) AS n FROM ${app.sql(table)} WHERE school_id = ${schoolId}`
    return Number(row?.n)
  }

  beforeAll(async () => {
    app = await createTestApp()
    const config = testConfig({ DATABASE_URL: app.url })
    http = createApp({ config, sql: app.sql, temporal: () => Promise.reject(new Error('not used')), logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: 'api' }) })

    schoolId = await seedSchool(app.sql)
    const teacherStaff = await seedStaff(app.sql, schoolId, 'T-1')
    admin = await seedUser(app.sql, schoolId, ['admin'])
    office = await seedUser(app.sql, schoolId, ['office'])
    teacher = await seedUser(app.sql, schoolId, ['teacher'], teacherStaff)
    accountant = await seedUser(app.sql, schoolId, ['accountant'])
    otherSchoolAdmin = await seedUser(app.sql, await seedSchool(app.sql), ['admin'])

    const year = await call(admin, 'POST', '/api/academic-years', { name: '2024-25', startsOn: '2024-09-01', endsOn: '2025-07-15' })
    yearId = year.body.id as string
    sectionA = (await call(admin, 'POST', '/api/sections', { academicYearId: yearId, grade: '5', name: '5A', homeroomStaffId: teacherStaff })).body.id as string
    sectionB = (await call(admin, 'POST', '/api/sections', { academicYearId: yearId, grade: '5', name: '5B' })).body.id as string
  })

  afterAll(async () => {
    await app?.cleanup()
  })

  it('creates, reads and updates a student with versions', async () => {
    const id = await createStudent('S-100', 'Silva')

    const read = await call(office, 'GET', `/api/students/${id}`)
    const missingIfMatch = await call(office, 'PATCH', `/api/students/${id}`, { lastName: 'Souza' })
    const updated = await call(office, 'PATCH', `/api/students/${id}`, { lastName: 'Souza' }, { 'if-match': read.etag! })
    const stale = await call(admin, 'PATCH', `/api/students/${id}`, { firstName: 'Bia' }, { 'if-match': read.etag! })

    expect(read.etag).toBe('"1"')
    expect(read.body.birthDate).toBe('2012-05-01')
    expect(missingIfMatch.status).toBe(428)
    expect(updated.status).toBe(200)
    expect(updated.body.version).toBe(2)
    expect(stale.status).toBe(409)
    expect(String(stale.body.error)).toContain('changed by someone else')
    expect((await call(office, 'GET', `/api/students/${id}`)).body.firstName).toBe('Ana')
  })

  it('writes an audit row with before and after', async () => {
    const id = await createStudent('S-101', 'Costa')
    const { etag } = await call(office, 'GET', `/api/students/${id}`)
    await call(office, 'PATCH', `/api/students/${id}`, { status: 'withdrawn', leftOn: '2025-01-10' }, { 'if-match': etag! })

    const audit = await call(admin, 'GET', `/api/audit?entity=student&entityId=${id}`)
    const [update, create] = audit.body.items as Json[]

    expect(update?.action).toBe('update')
    expect((update?.before as Json).status).toBe('active')
    expect((update?.after as Json).status).toBe('withdrawn')
    expect(create?.action).toBe('create')
    expect(create?.before).toBeNull()
  })

  it('names the invalid field and writes nothing', async () => {
    const before = await count('student')

    const badDate = await call(office, 'POST', '/api/students', { admissionNumber: 'S-X', firstName: 'A', lastName: 'B', birthDate: '2012-02-31', admittedOn: '2024-09-01' })
    const unknownField = await call(office, 'POST', '/api/students', { admissionNumber: 'S-Y', firstName: 'A', lastName: 'B', birthDate: '2012-02-01', admittedOn: '2024-09-01', nickname: 'x' })
    const leftBeforeAdmitted = await call(office, 'POST', '/api/students', { admissionNumber: 'S-Z', firstName: 'A', lastName: 'B', birthDate: '2012-02-01', admittedOn: '2024-09-01', leftOn: '2024-01-01' })

    expect(badDate.status).toBe(400)
    expect(Object.keys(badDate.body.fields as Json)).toEqual(['birthDate'])
    expect(unknownField.status).toBe(400)
    expect((unknownField.body.fields as Json).nickname).toBe('is not a known field')
    expect(leftBeforeAdmitted.status).toBe(400)
    expect((leftBeforeAdmitted.body.fields as Json).leftOn).toBe('must be after admittedOn')
    expect(await count('student')).toBe(before)
  })

  it('rejects a duplicate admission number with 409', async () => {
    await createStudent('S-200', 'Dup')

    const duplicate = await call(office, 'POST', '/api/students', { admissionNumber: 'S-200', firstName: 'A', lastName: 'B', birthDate: '2012-02-01', admittedOn: '2024-09-01' })

    expect(duplicate.status).toBe(409)
    expect((duplicate.body.fields as Json).admissionNumber).toBe('is already used by another record')
  })

  it('rejects ids from another school', async () => {
    const foreignYear = await call(otherSchoolAdmin, 'POST', '/api/academic-years', { name: 'other', startsOn: '2024-09-01', endsOn: '2025-07-01' })

    const section = await call(admin, 'POST', '/api/sections', { academicYearId: foreignYear.body.id, grade: '1', name: 'X' })
    const read = await call(otherSchoolAdmin, 'GET', `/api/sections/${sectionA}`)

    expect(section.status).toBe(400)
    expect((section.body.fields as Json).academicYearId).toContain('of this school')
    expect(read.status).toBe(404)
  })

  it('returns 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await call(admin, 'GET', '/api/students/00000000-0000-4000-8000-000000000000')
    const malformed = await call(admin, 'GET', '/api/students/not-a-uuid')

    expect(unknown.status).toBe(404)
    expect(malformed.status).toBe(400)
  })

  it('pages through students in order without gaps', async () => {
    for (const [index, name] of ['Pereira', 'Almeida', 'Nunes', 'Barros', 'Moura', 'Lima', 'Freitas'].entries()) {
      await createStudent(`P-${index}`, name)
    }
    const seen: string[] = []
    let cursor: string | null = null

    do {
      const query: string = `/api/students?limit=3&sort=lastName&q=&status=active${cursor ? `&cursor=${cursor}` : ''}`.replace('&q=', '')
      const page = await call(admin, 'GET', query)
      expect(page.status).toBe(200)
      seen.push(...(page.body.items as Json[]).map((item) => item.lastName as string))
      cursor = page.body.nextCursor as string | null
    } while (cursor)

    expect(seen).toEqual([...seen].sort((a, b) => a.localeCompare(b)))
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen).toEqual(expect.arrayContaining(['Almeida', 'Barros', 'Freitas', 'Lima', 'Moura', 'Nunes', 'Pereira']))
  })

  it('searches and filters students', async () => {
    await createStudent('Q-1', 'Quintanilha', sectionB)

    const byName = await call(admin, 'GET', '/api/students?q=quintan')
    const bySection = await call(admin, 'GET', `/api/students?sectionId=${sectionB}`)
    const badSort = await call(admin, 'GET', '/api/students?sort=birthDate')
    const tooMany = await call(admin, 'GET', '/api/students?limit=1000')

    expect((byName.body.items as Json[]).map((item) => item.admissionNumber)).toEqual(['Q-1'])
    expect((bySection.body.items as Json[]).map((item) => item.admissionNumber)).toContain('Q-1')
    expect(badSort.status).toBe(400)
    expect(tooMany.status).toBe(400)
  })

  it('shows a teacher only the students of their sections', async () => {
    const own = await createStudent('T-OWN', 'Ownsection', sectionA)
    const other = await createStudent('T-OTHER', 'Othersection', sectionB)

    const list = await call(teacher, 'GET', '/api/students?limit=100')
    const ownRead = await call(teacher, 'GET', `/api/students/${own}`)
    const otherRead = await call(teacher, 'GET', `/api/students/${other}`)
    const write = await call(teacher, 'POST', '/api/students', { admissionNumber: 'T-NEW', firstName: 'A', lastName: 'B', birthDate: '2012-02-01', admittedOn: '2024-09-01' })

    expect((list.body.items as Json[]).map((item) => item.id)).toEqual([own])
    expect(ownRead.status).toBe(200)
    expect(otherRead.status).toBe(404)
    expect(write.status).toBe(403)
  })

  it('shows an accountant names only', async () => {
    const id = await createStudent('ACC-1', 'Namesonly')

    const read = await call(accountant, 'GET', `/api/students/${id}`)

    expect(Object.keys(read.body).sort()).toEqual(['admissionNumber', 'firstName', 'id', 'lastName', 'status'])
  })

  it('keeps payroll and sensitive documents to their roles', async () => {
    const payroll = await call(accountant, 'POST', '/api/documents', { category: 'payroll', ownerType: 'school', title: 'Payroll March', documentDate: '2025-03-31' })
    const sensitive = await call(admin, 'POST', '/api/documents', { category: 'sensitive', ownerType: 'school', title: 'Incident', documentDate: '2025-03-01' })
    const officePayroll = await call(office, 'POST', '/api/documents', { category: 'payroll', ownerType: 'school', title: 'x', documentDate: '2025-03-31' })

    const teacherRead = await call(teacher, 'GET', `/api/documents/${payroll.body.id}`)
    const officeList = await call(office, 'GET', '/api/documents?limit=100')
    const accountantSensitive = await call(accountant, 'GET', `/api/documents/${sensitive.body.id}`)
    const adminList = await call(admin, 'GET', '/api/documents?limit=100')

    expect(payroll.status).toBe(201)
    expect(sensitive.status).toBe(201)
    expect(officePayroll.status).toBe(403)
    expect(teacherRead.status).toBe(404)
    expect((officeList.body.items as Json[]).map((item) => item.category)).not.toContain('payroll')
    expect(accountantSensitive.status).toBe(404)
    expect((adminList.body.items as Json[]).map((item) => item.category)).toEqual(expect.arrayContaining(['payroll', 'sensitive']))
  })

  it('updates school settings with a version', async () => {
    const read = await call(admin, 'GET', '/api/settings')

    const updated = await call(admin, 'PATCH', '/api/settings', { timeZone: 'Europe/Lisbon', currentAcademicYearId: yearId }, { 'if-match': read.etag! })
    const badZone = await call(admin, 'PATCH', '/api/settings', { timeZone: 'Nowhere/Land' }, { 'if-match': updated.etag! })
    const byTeacher = await call(teacher, 'PATCH', '/api/settings', { name: 'x' }, { 'if-match': updated.etag! })

    expect(updated.status).toBe(200)
    expect(updated.body.timeZone).toBe('Europe/Lisbon')
    expect(badZone.status).toBe(400)
    expect(byTeacher.status).toBe(403)
  })

  it('keeps the audit log append-only', async () => {
    await expect(app.sql`UPDATE audit_event SET action = 'edited'`).rejects.toThrow('append-only')
    await expect(app.sql`DELETE FROM audit_event`).rejects.toThrow('append-only')
    await expect(app.sql`TRUNCATE audit_event`).rejects.toThrow('append-only')
  })

  it('deletes with a version and refuses while referenced', async () => {
    const subject = await call(admin, 'POST', '/api/subjects', { code: 'MAT', name: 'Mathematics' })
    const referencedYear = await call(admin, 'GET', `/api/academic-years/${yearId}`)

    const stale = await call(admin, 'DELETE', `/api/subjects/${subject.body.id}`, undefined, { 'if-match': '"7"' })
    const deleted = await call(admin, 'DELETE', `/api/subjects/${subject.body.id}`, undefined, { 'if-match': subject.etag! })
    const referenced = await call(admin, 'DELETE', `/api/academic-years/${yearId}`, undefined, { 'if-match': referencedYear.etag! })

    expect(stale.status).toBe(409)
    expect(deleted.status).toBe(204)
    expect(referenced.status).toBe(409)
  })
})
