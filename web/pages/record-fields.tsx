import type { Hono } from 'hono'
import type { AppEnv } from '../../api/app'
import { CsrfField, Field, FormAlert, type FieldSpec } from '../forms'
import { expectOk, failureOf, formBody, pageOf, requirePage, type Page, type WebDependencies } from '../page'

type ApiRecord = Record<string, unknown> & { id: string; version: number }
type ApiPage = { items: ApiRecord[]; nextCursor: string | null }

export const studentFields: FieldSpec[] = [
  { name: 'admissionNumber', label: 'Admission number', required: true },
  { name: 'firstName', label: 'First name', required: true, autocomplete: 'off' },
  { name: 'lastName', label: 'Last name', required: true, autocomplete: 'off' },
  { name: 'birthDate', label: 'Birth date', type: 'date', required: true },
  { name: 'gender', label: 'Gender', type: 'select', options: [['female', 'female'], ['male', 'male'], ['other', 'other']] },
  { name: 'email', label: 'Email', type: 'email' },
  { name: 'phone', label: 'Phone', type: 'tel' },
  { name: 'address', label: 'Address', type: 'textarea' },
  { name: 'admittedOn', label: 'Admitted on', type: 'date', required: true },
  { name: 'leftOn', label: 'Left on', type: 'date' },
  { name: 'status', label: 'Status', type: 'select', required: true, options: [['active', 'active'], ['withdrawn', 'withdrawn'], ['graduated', 'graduated']] },
]

export const staffFields: FieldSpec[] = [
  { name: 'employeeNumber', label: 'Employee number', required: true },
  { name: 'firstName', label: 'First name', required: true },
  { name: 'lastName', label: 'Last name', required: true },
  { name: 'position', label: 'Position', required: true },
  { name: 'department', label: 'Department' },
  { name: 'email', label: 'Email', type: 'email' },
  { name: 'phone', label: 'Phone', type: 'tel' },
  { name: 'hiredOn', label: 'Hired on', type: 'date' },
  { name: 'leftOn', label: 'Left on', type: 'date' },
  { name: 'status', label: 'Status', type: 'select', required: true, options: [['active', 'active'], ['on_leave', 'on leave'], ['left', 'left']] },
]

/** Builds the class fields, whose academic years and homeroom teachers are choices read from the API. */
export async function sectionFields(page: Page): Promise<FieldSpec[]> {
  const years = expectOk(await page.api.get<ApiPage>('/api/academic-years?limit=100&sort=startsOn&order=desc')).items
  const staff = expectOk(await page.api.get<ApiPage>('/api/staff?limit=100')).items
  return [
    { name: 'academicYearId', label: 'Academic year', type: 'select', required: true, options: years.map((year) => [year.id, String(year.name)] as const), hint: years.length === 0 ? 'Add an academic year on the Classes page first.' : undefined },
    { name: 'grade', label: 'Grade', required: true },
    { name: 'name', label: 'Name', required: true },
    { name: 'homeroomStaffId', label: 'Homeroom teacher', type: 'select', options: staff.map((member) => [member.id, `${String(member.lastName)}, ${String(member.firstName)}`] as const) },
    { name: 'room', label: 'Room' },
  ]
}

const ENROL_FIELDS: FieldSpec[] = [
  { name: 'admissionNumber', label: 'Admission number of the student', required: true },
  { name: 'enrolledOn', label: 'Enrolled on', type: 'date', required: true },
]

/** Renders the enrolled students of a class, and for writers a form to enrol one more. */
export async function sectionDetails(page: Page, section: ApiRecord, state: { errors?: Record<string, string>; message?: string } = {}) {
  const enrolments = expectOk(await page.api.get<ApiPage>(`/api/enrolments?sectionId=${section.id}&limit=100`)).items
  const students = page.can('students:read') ? expectOk(await page.api.get<ApiPage>(`/api/students?sectionId=${section.id}&limit=100`)).items : []
  const nameOf = new Map(students.map((student) => [student.id, `${String(student.lastName)}, ${String(student.firstName)} (${String(student.admissionNumber)})`]))

  return (
    <section aria-labelledby="enrolments-heading">
      <h2 id="enrolments-heading">Enrolled students</h2>
      {enrolments.length === 0 ? (
        <p>No student is enrolled in this class.</p>
      ) : (
        <ul>
          {enrolments.map((enrolment) => (
            <li>
              {nameOf.get(String(enrolment.studentId)) ?? `student ${String(enrolment.studentId)}`}: {String(enrolment.status)} since {String(enrolment.enrolledOn)}
            </li>
          ))}
        </ul>
      )}
      {page.can('enrolments:write') && (
        <form method="post" action={`/app/sections/${section.id}/enrolments`} novalidate>
          <h3>Enrol a student</h3>
          <FormAlert message={state.message} errors={state.errors} specs={ENROL_FIELDS} />
          <CsrfField token={page.csrf} />
          {ENROL_FIELDS.map((spec) => (
            <Field spec={spec} error={state.errors?.[spec.name]} />
          ))}
          <button type="submit">Enrol</button>
        </form>
      )}
    </section>
  )
}

/** Registers enrolling a student in a class by admission number, and adding an academic year. */
export function registerEnrolmentPages(web: Hono<AppEnv>, deps: WebDependencies): void {
  web.post('/sections/:id{[0-9a-f-]{36}}/enrolments', requirePage('enrolments:write'), async (c) => {
    const page = pageOf(c, deps)
    const sectionId = c.req.param('id')
    const form = await formBody(c)
    const admissionNumber = (form.admissionNumber ?? '').trim()
    const section = expectOk(await page.api.get<ApiRecord>(`/api/sections/${sectionId}`))

    const found = admissionNumber ? expectOk(await page.api.get<ApiPage>(`/api/students?q=${encodeURIComponent(admissionNumber)}&limit=100`)).items : []
    const student = found.find((candidate) => candidate.admissionNumber === admissionNumber)
    if (!student) {
      const errors = { admissionNumber: admissionNumber ? `no student has the admission number ${admissionNumber}` : 'is required' }
      return page.render(`Class ${String(section.grade)} ${String(section.name)}`, await sectionDetails(page, section, { errors }), 400)
    }

    const response = await page.api.request('POST', '/api/enrolments', {
      json: { studentId: student.id, academicYearId: section.academicYearId, sectionId, enrolledOn: form.enrolledOn ?? '' },
    })
    if (response.ok) return c.redirect(`/app/sections/${sectionId}?saved=updated`, 303)
    const failure = failureOf(response)
    return page.render(`Class ${String(section.grade)} ${String(section.name)}`, await sectionDetails(page, section, { errors: failure.fields, message: failure.message }), 400)
  })

  web.post('/sections/years', requirePage('academic:write'), async (c) => {
    const page = pageOf(c, deps)
    const form = await formBody(c)
    const response = await page.api.request('POST', '/api/academic-years', { json: { name: form.name ?? '', startsOn: form.startsOn ?? '', endsOn: form.endsOn ?? '' } })
    if (response.ok) return c.redirect('/app/sections/new', 303)
    const failure = failureOf(response)
    return page.render('Add an academic year', <AcademicYearForm csrf={page.csrf} errors={failure.fields} message={failure.message} />, 400)
  })

  web.get('/sections/years', requirePage('academic:write'), (c) => {
    const page = pageOf(c, deps)
    return page.render('Add an academic year', <AcademicYearForm csrf={page.csrf} errors={{}} />)
  })
}

const YEAR_FIELDS: FieldSpec[] = [
  { name: 'name', label: 'Name, such as 2026/27', required: true },
  { name: 'startsOn', label: 'Starts on', type: 'date', required: true },
  { name: 'endsOn', label: 'Ends on', type: 'date', required: true },
]

function AcademicYearForm(props: { csrf: string; errors: Record<string, string>; message?: string }) {
  return (
    <form method="post" action="/app/sections/years" novalidate>
      <FormAlert message={props.message} errors={props.errors} specs={YEAR_FIELDS} />
      <CsrfField token={props.csrf} />
      {YEAR_FIELDS.map((spec) => (
        <Field spec={spec} error={props.errors[spec.name]} />
      ))}
      <button type="submit">Add the academic year</button>
    </form>
  )
}
