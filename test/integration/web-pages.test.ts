import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { createLogger } from '../../observability/logger'
import { seedSchool, seedStaff, seedUser, type SeededUser } from '../accounts-support'
import { uploadFile } from '../documents-support'
import { createTestApp, FIXTURES, testConfig, type TestApp } from '../support'
import { formTokenOf, postForm, signInThroughForm, TEST_ORIGIN } from '../web-support'

describe('web pages', () => {
  let app: TestApp
  let http: ReturnType<typeof createApp>
  const users = {} as Record<'admin' | 'office' | 'teacher' | 'accountant' | 'ops' | 'oncall', SeededUser>
  const cookies = {} as Record<keyof typeof users, string>

  beforeAll(async () => {
    app = await createTestApp()
    const config = testConfig({ DATABASE_URL: app.url, STORAGE_LOCAL_ROOT: app.storageRoot })
    http = createApp({ config, sql: app.sql, temporal: async () => Promise.reject(new Error('these tests need no Temporal')), logger: createLogger({ level: 'silent', name: 'api' }) })
    const schoolId = await seedSchool(app.sql, 'Web Pages School')
    const staffId = await seedStaff(app.sql, schoolId, 'T-1')
    for (const role of ['admin', 'office', 'teacher', 'accountant', 'ops', 'oncall'] as const) {
      users[role] = await seedUser(app.sql, schoolId, [role], role === 'teacher' ? staffId : null)
      cookies[role] = await signInThroughForm(http, users[role])
    }
  })

  afterAll(async () => {
    await app?.cleanup()
  })

  const get = (path: string, cookie?: string) => http.request(path, { headers: cookie ? { cookie } : {} })

  it('sends security headers on pages', async () => {
    const response = await get('/app/login')
    const policy = response.headers.get('content-security-policy') ?? ''

    expect(response.status).toBe(200)
    expect(policy).toContain("frame-ancestors 'none'")
    expect(policy).toContain("script-src 'self'")
    expect(policy).toContain("form-action 'self'")
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    expect(response.headers.get('referrer-policy')).toBe('same-origin')
  })

  it('marks the session cookie Secure outside development', async () => {
    const response = await postForm(http, '/app/login', '', { email: users.admin.email, password: users.admin.password })
    const cookie = response.headers.get('set-cookie') ?? ''

    expect(response.status).toBe(303)
    expect(cookie).toContain('; Secure')
    expect(cookie).toContain('; HttpOnly')
    expect(cookie).toContain('; SameSite=Lax')
  })

  it('sends visitors without a session to sign in', async () => {
    const response = await get('/app/students')

    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/app/login?next=%2Fapp%2Fstudents')
  })

  it('shows a wrong password next to its field', async () => {
    const response = await postForm(http, '/app/login', '', { email: users.office.email, password: 'not the password' })
    const html = await response.text()

    expect(response.status).toBe(400)
    expect(html).toMatch(/<p class="error" id="error-password" data-error-for="password">Wrong email or password.<\/p>/)
    expect(response.headers.get('set-cookie')).toBeNull()
  })

  it('rejects a cross-site form post', async () => {
    const signIn = await postForm(http, '/app/login', '', { email: users.office.email, password: users.office.password }, 'https://attacker.example')
    const create = await postForm(http, '/app/students/new', cookies.office, { admissionNumber: 'X-1' }, 'https://attacker.example')

    expect(signIn.status).toBe(403)
    expect(signIn.headers.get('set-cookie')).toBeNull()
    expect(create.status).toBe(403)
    expect(await app.sql`SELECT 1 FROM student WHERE admission_number = 'X-1'`).toHaveLength(0)
  })

  it('rejects a form post without its token', async () => {
    const page = await (await get('/app/students/new', cookies.office)).text()
    const fields = { admissionNumber: 'TOK-1', firstName: 'Ada', lastName: 'Token', birthDate: '2012-03-04', admittedOn: '2024-09-01', status: 'active' }

    const without = await postForm(http, '/app/students/new', cookies.office, fields)
    const forged = await postForm(http, '/app/students/new', cookies.office, { ...fields, _csrf: formTokenOf(page).replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) })
    const valid = await postForm(http, '/app/students/new', cookies.office, { ...fields, _csrf: formTokenOf(page) })

    expect(without.status).toBe(403)
    expect(forged.status).toBe(403)
    expect(valid.status).toBe(303)
    expect(valid.headers.get('location')).toMatch(/^\/app\/students\/[0-9a-f-]{36}\?saved=created$/)
  })

  it('rejects a cross-site cookie write to the API', async () => {
    const body = JSON.stringify({ admissionNumber: 'API-1', firstName: 'A', lastName: 'B', birthDate: '2012-01-01', admittedOn: '2024-09-01' })
    const headers = { cookie: cookies.office, 'content-type': 'application/json' }

    const crossSite = await http.request('/api/students', { method: 'POST', headers: { ...headers, origin: 'https://attacker.example' }, body })
    const sameSite = await http.request('/api/students', { method: 'POST', headers: { ...headers, origin: TEST_ORIGIN }, body })

    expect(crossSite.status).toBe(403)
    expect(sameSite.status).toBe(201)
  })

  it('puts API errors next to their fields', async () => {
    const token = formTokenOf(await (await get('/app/students/new', cookies.office)).text())

    const response = await postForm(http, '/app/students/new', cookies.office, { _csrf: token, admissionNumber: 'ERR-1', firstName: 'Ed', lastName: '', birthDate: '31/02/2010', admittedOn: '2024-09-01', status: 'active' })
    const html = await response.text()

    expect(response.status).toBe(400)
    expect(html).toMatch(/id="error-birthDate" data-error-for="birthDate">[^<]+<\/p>/)
    expect(html).toMatch(/id="error-lastName" data-error-for="lastName">[^<]+<\/p>/)
    expect(html).toContain('value="ERR-1"')
  })

  it('shows each role only its own pages', async () => {
    const nav = async (role: keyof typeof users) => {
      const html = await (await get('/app', cookies[role])).text()
      const menu = /<nav aria-label="Main">(.*?)<\/nav>/.exec(html)?.[1] ?? ''
      return [...menu.matchAll(/<a href="(\/app[^"]*)"/g)].map((match) => match[1])
    }

    expect(await nav('office')).toEqual(['/app', '/app/students', '/app/staff', '/app/sections', '/app/documents', '/app/settings'])
    expect(await nav('ops')).toEqual(['/app', '/app/ops', '/app/ops/backups', '/app/ops/mirror', '/app/ops/retention'])
    expect(await nav('teacher')).toEqual(['/app', '/app/students', '/app/staff', '/app/sections', '/app/documents', '/app/settings'])
    expect((await get('/app/ops/backups', cookies.office)).status).toBe(403)
    expect((await get('/app/students', cookies.ops)).status).toBe(403)
    expect((await get('/app/ops/dr', cookies.ops)).status).toBe(403)
    expect(await (await get('/app/settings', cookies.accountant)).text()).not.toContain('Save the settings')
  })

  it('hides payroll documents from office staff', async () => {
    const pdf = await readFile(join(FIXTURES, 'documents', 'report%20final+v2 #1.pdf'))
    const uploaded = await uploadFile(http, users.accountant, { category: 'payroll', ownerType: 'school', title: 'Payroll November', documentDate: '2026-11-30' }, { name: 'payroll.pdf', bytes: pdf })
    const id = String(uploaded.body.id)

    const officeList = await (await get('/app/documents', cookies.office)).text()
    const officeDetail = await get(`/app/documents/${id}`, cookies.office)
    const officeUpload = await (await get('/app/documents/upload', cookies.office)).text()
    const accountantList = await (await get('/app/documents', cookies.accountant)).text()

    expect(uploaded.status).toBe(201)
    expect(officeList).not.toContain('Payroll November')
    expect(officeDetail.status).toBe(404)
    expect(officeUpload).not.toContain('value="payroll"')
    expect(accountantList).toContain('Payroll November')
  })

  it('uploads through the plain form', async () => {
    const token = formTokenOf(await (await get('/app/documents/upload', cookies.office)).text())
    const form = new FormData()
    for (const [name, value] of Object.entries({ category: 'certificate', ownerType: 'school', ownerId: '', title: 'Swimming certificate', documentDate: '2026-10-01' })) form.set(name, value)
    form.set('file', new File([await readFile(join(FIXTURES, 'documents', 'report%20final+v2 #1.pdf'))], 'certificate.pdf'))
    const badForm = new FormData()
    badForm.set('category', 'certificate')
    badForm.set('ownerType', 'school')
    badForm.set('title', 'No date')
    badForm.set('documentDate', 'soon')
    badForm.set('file', new File(['x'], 'x.pdf'))

    const upload = (body: FormData) => http.request(`/app/documents/upload?_csrf=${token}`, { method: 'POST', headers: { origin: TEST_ORIGIN, cookie: cookies.office }, body })
    const stored = await upload(form)
    const rejected = await upload(badForm)

    expect(stored.status).toBe(303)
    expect(stored.headers.get('location')).toMatch(/^\/app\/documents\/[0-9a-f-]{36}$/)
    expect(rejected.status).toBe(400)
    expect(await rejected.text()).toMatch(/id="error-documentDate" data-error-for="documentDate">[^<]+<\/p>/)
  })

  it('lists every bad row of a CSV import', async () => {
    const page = await (await get('/app/students/import', cookies.office)).text()
    const form = new FormData()
    form.set('file', new File(['admission_number,first_name,last_name,birth_date,admitted_on\nIMP-1,Ann,Lee,31/02/2010,2024-09-01\nIMP-2,Bo,,2011-01-01,2024-09-01\n'], 'students.csv', { type: 'text/csv' }))

    const response = await http.request(`/app/students/import?_csrf=${formTokenOf(page)}`, { method: 'POST', headers: { origin: TEST_ORIGIN, cookie: cookies.office }, body: form })
    const html = await response.text()

    expect(response.status).toBe(400)
    expect(html).toContain('Rows with problems (2)')
    expect(html).toMatch(/<td>1<\/td><td>2<\/td><td>birthDate<\/td><td>[^<]*31\/02\/2010/)
    expect(html).toMatch(/<td>2<\/td><td>3<\/td><td>lastName<\/td>/)
    expect(await app.sql`SELECT 1 FROM student WHERE admission_number LIKE 'IMP-%'`).toHaveLength(0)
  })

  it('creates a class and enrols a student', async () => {
    const sectionsPage = await (await get('/app/sections', cookies.office)).text()
    const yearPage = await (await get('/app/sections/years', cookies.office)).text()
    const year = await postForm(http, '/app/sections/years', cookies.office, { _csrf: formTokenOf(yearPage), name: '2026/27', startsOn: '2026-09-01', endsOn: '2027-07-15' })
    const newPage = await (await get('/app/sections/new', cookies.office)).text()
    const yearId = /<option value="([0-9a-f-]{36})"[^>]*>2026\/27<\/option>/.exec(newPage)?.[1] ?? ''
    const section = await postForm(http, '/app/sections/new', cookies.office, { _csrf: formTokenOf(newPage), academicYearId: yearId, grade: '5', name: '5B', room: 'B12' })
    const sectionPath = section.headers.get('location')?.split('?')[0] ?? ''
    await app.sql`INSERT INTO student (school_id, admission_number, first_name, last_name, birth_date, admitted_on)
      SELECT school_id, 'ENR-1', 'Noor', 'Haddad', '2015-02-01', '2026-09-01' FROM app_user WHERE id = ${users.office.id}`

    const unknown = await postForm(http, `${sectionPath}/enrolments`, cookies.office, { _csrf: formTokenOf(newPage), admissionNumber: 'NOPE-9', enrolledOn: '2026-09-01' })
    const enrolled = await postForm(http, `${sectionPath}/enrolments`, cookies.office, { _csrf: formTokenOf(newPage), admissionNumber: 'ENR-1', enrolledOn: '2026-09-01' })
    const detail = await (await get(sectionPath, cookies.office)).text()

    expect(sectionsPage).toContain('<a href="/app/sections/years">Add an academic year</a>')
    expect(year.status).toBe(303)
    expect(section.status).toBe(303)
    expect(sectionPath).toMatch(/^\/app\/sections\/[0-9a-f-]{36}$/)
    expect(unknown.status).toBe(400)
    expect(await unknown.text()).toMatch(/id="error-admissionNumber" data-error-for="admissionNumber">no student has the admission number NOPE-9</)
    expect(enrolled.status).toBe(303)
    expect(detail).toContain('Haddad, Noor (ENR-1): active since 2026-09-01')
  })

  it('shows a refused delete next to the document', async () => {
    const pdf = await readFile(join(FIXTURES, 'documents', 'report%20final+v2 #1.pdf'))
    const recent = await uploadFile(http, users.office, { category: 'notice', ownerType: 'school', title: 'Sports day notice', documentDate: '2026-11-02' }, { name: 'notice.pdf', bytes: pdf })
    const uploaded = await uploadFile(http, users.office, { category: 'notice', ownerType: 'school', title: 'Old sports day notice', documentDate: '2001-11-02' }, { name: 'notice.pdf', bytes: pdf })
    const recentPath = `/app/documents/${String(recent.body.id)}`
    const path = `/app/documents/${String(uploaded.body.id)}`
    const page = await (await get(recentPath, cookies.office)).text()
    const token = formTokenOf(page)

    const kept = await postForm(http, `${recentPath}/delete`, cookies.office, { _csrf: token, version: '1' })
    const stale = await postForm(http, `${path}/delete`, cookies.office, { _csrf: token, version: '7' })
    const current = await postForm(http, `${path}/delete`, cookies.office, { _csrf: token, version: '1' })

    expect(page).toContain('<dt>Retention ends</dt><dd>2028-11-02</dd>')
    expect(kept.status).toBe(409)
    expect(await kept.text()).toMatch(/<p id="delete-error" class="error" role="alert">Not deleted: document [0-9a-f-]{36} cannot be deleted before 2028-11-02 \(other: 2 years from the document date\)<\/p>/)
    expect(stale.status).toBe(409)
    expect(await stale.text()).toMatch(/<p id="delete-error" class="error" role="alert">Not deleted: document [0-9a-f-]{36} was changed by someone else; reload it first<\/p>/)
    expect(current.status).toBe(303)
    expect(current.headers.get('location')).toBe('/app/documents?deleted=1')
    expect((await get(path, cookies.office)).status).toBe(404)
  })

  it('shows mirror runs and the ops status', async () => {
    await app.sql`
      INSERT INTO mirror_run (run_id, workflow_id, status, started_at, ended_at, scanned, copied, skipped, failed, bytes_moved, note)
      VALUES ('run-1', 'mirror-private-storage-2026-12-04T10:00:00Z', 'partial', now() - interval '70 minutes', now() - interval '65 minutes', 120, 7, 110, 3, 3145728, '3 objects failed')`

    const mirror = await (await get('/app/ops/mirror', cookies.ops)).text()
    const status = await get('/app/ops', cookies.ops)
    const statusHtml = await status.text()

    expect(mirror).toContain('<td>partial</td><td>120</td><td>7</td><td>110</td><td>3</td><td>3.0 MiB</td><td>3 objects failed</td>')
    expect(mirror).toContain('href="http://127.0.0.1:8233/namespaces/default/workflows?query=WorkflowId%3D%22mirror-private-storage-2026-12-04T10%3A00%3A00Z%22"')
    expect(status.status).toBe(200)
    expect(statusHtml).toContain('<dt>Disaster recovery</dt><dd>unknown</dd>')
  })

  it('lets admins edit staff and office read them', async () => {
    const token = formTokenOf(await (await get('/app/staff/new', cookies.admin)).text())

    const created = await postForm(http, '/app/staff/new', cookies.admin, { _csrf: token, employeeNumber: 'E-77', firstName: 'Lena', lastName: 'Brandt', position: 'librarian', status: 'active' })
    const staffPath = created.headers.get('location')?.split('?')[0] ?? ''
    const officeList = await (await get('/app/staff', cookies.office)).text()
    const officeDetail = await (await get(staffPath, cookies.office)).text()

    expect(created.status).toBe(303)
    expect(officeList).toContain('Brandt, Lena')
    expect(officeList).not.toContain('New staff member')
    expect(officeDetail).toContain('<dt>Position</dt><dd>librarian</dd>')
    expect(officeDetail).not.toContain('<form method="post" action="/app/staff/')
    expect((await get('/app/staff/new', cookies.office)).status).toBe(403)
  })

  it('shows DR errors on the DR page', async () => {
    const page = await get('/app/ops/dr', cookies.oncall)
    const html = await page.text()

    const skip = await postForm(http, '/app/ops/dr/decisions', cookies.oncall, { _csrf: formTokenOf(html), kind: 'skip', stage: 'deploy', reason: '' })

    expect(page.status).toBe(200)
    expect(html).toContain('The DR status is unavailable: internal error')
    expect(skip.status).toBe(400)
    expect(await skip.text()).toContain('The skip was not accepted: reason ')
  })

  it('lists expired documents in the retention report', async () => {
    const pdf = await readFile(join(FIXTURES, 'documents', 'report%20final+v2 #1.pdf'))
    const old = await uploadFile(http, users.office, { category: 'notice', ownerType: 'school', title: 'Notice of 1999', documentDate: '1999-05-01' }, { name: 'notice.pdf', bytes: pdf })
    const response = await get('/app/ops/retention', cookies.ops)
    const html = await response.text()
    const teacher = await get('/app/ops/retention', cookies.teacher)

    expect(response.status).toBe(200)
    expect(html).toContain(`<code>${String(old.body.id)}</code></td><td>notice</td><td>other: 2 years from the document date</td><td>1999-05-01</td><td>2001-05-01</td>`)
    expect(html).not.toContain('Approve the first purge')
    expect(teacher.status).toBe(403)
  })

  it('signs out and ends the session', async () => {
    const cookie = await signInThroughForm(http, users.teacher)
    const token = formTokenOf(await (await get('/app', cookie)).text())

    const response = await postForm(http, '/app/logout', cookie, { _csrf: token })
    const after = await get('/app', cookie)

    expect(response.status).toBe(303)
    expect(response.headers.get('set-cookie')).toMatch(/^school_ops_session=;/)
    expect(after.status).toBe(303)
  })
})
