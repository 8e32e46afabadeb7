import { serve, type ServerType } from '@hono/node-server'
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { text } from 'node:stream/consumers'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { connectDatabase, withDatabase } from '../../data/db'
import { migrate } from '../../data/migrate'
import { createLogger } from '../../observability/logger'
import { LocalObjectStore } from '../../storage/local'
import { seedSchool, seedUser, type SeededUser } from '../accounts-support'
import { LINK_SECRET } from '../documents-support'
import { endLeftoverDrRun, finishDrRun, TargetApp } from '../dr-support'
import { freePort } from '../global-setup'
import { createDatabase, createTestApp, dropDatabase, FIXTURES, SERVER_URL, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, type TemporalHarness } from '../temporal-support'
import { launchChromium, screenshot, signIn } from './browser'

const PDF = join(FIXTURES, 'documents', 'report%20final+v2 #1.pdf')

// The tests run in order and build on each other's records: the student created first is
// edited, photographed and given a document by the tests after it.
describe('web app in Chromium', () => {
  let app: TestApp
  let harness: TemporalHarness
  let server: ServerType
  let target: TargetApp
  let hook: Server
  let browser: Browser
  let baseUrl: string
  const drillDatabase = uniqueName('web_dr_target')
  const users = {} as Record<'admin' | 'office' | 'accountant' | 'oncall', SeededUser>

  beforeAll(async () => {
    app = await createTestApp()
    const schoolId = await seedSchool(app.sql, 'Riverside School')
    for (const role of ['admin', 'office', 'accountant', 'oncall'] as const) users[role] = await seedUser(app.sql, schoolId, [role])

    const [port, targetPort, hookPort] = [await freePort(), await freePort(), await freePort()]
    baseUrl = `http://127.0.0.1:${port}`
    target = new TargetApp(withDatabase(SERVER_URL, drillDatabase), targetPort)
    hook = createServer((request, response) => {
      void text(request).then(() => {
        target.start()
        response.writeHead(202).end('deploying')
      })
    })
    await new Promise<void>((resolve) => hook.listen(hookPort, '127.0.0.1', resolve))

    const config = testConfig({
      DATABASE_URL: app.url,
      STORAGE_LOCAL_ROOT: app.storageRoot,
      STORAGE_LINK_SECRET: LINK_SECRET,
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: uniqueName('web_tq'),
      TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
      BACKUP_DATABASES: app.name,
      NEXT_PUBLIC_APP_URL: baseUrl,
      DR_TARGET_APP_URL: `http://127.0.0.1:${targetPort}`,
      DR_DEPLOY_HOOK_URL: `http://127.0.0.1:${hookPort}/deploy`,
      DR_HEALTH_TIMEOUT_SECONDS: '30',
    })
    harness = await startHarness(config, app.sql, new LocalObjectStore(app.storageRoot))
    await endLeftoverDrRun(harness.client)
    const http = createApp({ config, sql: app.sql, temporal: async () => harness.client, logger: createLogger({ level: 'silent', name: 'api' }) })
    server = serve({ fetch: http.fetch, hostname: '127.0.0.1', port })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    if (harness) await finishDrRun(harness.client)
    await harness?.close()
    await target?.stop()
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()))
    await dropDatabase(drillDatabase)
    await app?.cleanup()
  })

  it('signs in with the keyboard', async () => {
    const page = await browser.newPage()
    await page.goto(`${baseUrl}/app/students`)
    await expect.poll(() => page.url()).toBe(`${baseUrl}/app/login?next=%2Fapp%2Fstudents`)
    await screenshot(page, 'sign-in')

    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab')
    await page.keyboard.type(users.office.email)
    await page.keyboard.press('Tab')
    await page.keyboard.type('a wrong password')
    await page.keyboard.press('Enter')
    // The sign-in page starts with an empty error element, so wait until the error text appears.
    await expect.poll(() => page.locator('#error-password').textContent(), { timeout: 10_000 }).toBe('Wrong email or password.')
    await page.getByLabel('Password').fill(users.office.password)
    await page.keyboard.press('Enter')
    await page.waitForURL(`${baseUrl}/app/students`)

    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Home', 'Students', 'Staff', 'Classes', 'Documents', 'Settings'])
    await page.close()
  })

  it('creates and edits a student', async () => {
    const page = await browser.newPage()
    await signIn(page, baseUrl, users.office)

    await page.goto(`${baseUrl}/app/students/new`)
    await page.getByLabel('Admission number').fill('RS-1001')
    await page.getByLabel('First name').fill('Amara')
    await page.getByLabel('Last name').fill('Okafor')
    await page.getByLabel('Birth date').fill('2013-05-14')
    await page.getByLabel('Admitted on').fill('2024-09-02')
    await page.getByRole('button', { name: 'Create' }).click()
    await page.getByText('The student was created.').waitFor()
    await page.getByLabel('First name').fill('Amarachi')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByText('The student was saved.').waitFor()
    await screenshot(page, 'student')
    await page.goto(`${baseUrl}/app/students?q=okafor`)
    await screenshot(page, 'students')

    const [row] = await app.sql<{ first_name: string; version: number }[]>`SELECT first_name, version FROM student WHERE admission_number = 'RS-1001'`
    expect(row?.first_name).toBe('Amarachi')
    expect(row?.version).toBe(2)
    expect(await page.getByRole('link', { name: 'Okafor, Amarachi' }).count()).toBe(1)
    await page.close()
  })

  it('shows the conflict when someone saved first', async () => {
    const office = await browser.newPage()
    const admin = await browser.newPage()
    await signIn(office, baseUrl, users.office)
    await signIn(admin, baseUrl, users.admin)
    const [student] = await app.sql<{ id: string }[]>`SELECT id FROM student WHERE admission_number = 'RS-1001'`
    await office.goto(`${baseUrl}/app/students/${student!.id}`)
    await admin.goto(`${baseUrl}/app/students/${student!.id}`)

    await admin.getByLabel('Phone').fill('+44 20 7946 0000')
    await admin.getByRole('button', { name: 'Save' }).click()
    await admin.getByText('The student was saved.').waitFor()
    await office.getByLabel('Last name').fill('Okafor-Eze')
    await office.getByRole('button', { name: 'Save' }).click()
    await office.getByRole('alert').waitFor()
    await screenshot(office, 'student-conflict')

    expect(await office.getByRole('alert').textContent()).toContain('was changed by someone else')
    expect(await office.getByRole('region', { name: 'Your unsaved values' }).locator('li').allTextContents()).toEqual(['Last name: Okafor-Eze'])
    expect(await office.getByLabel('Phone').inputValue()).toBe('+44 20 7946 0000')
    const [row] = await app.sql<{ last_name: string }[]>`SELECT last_name FROM student WHERE id = ${student!.id}`
    expect(row?.last_name).toBe('Okafor')
    await office.close()
    await admin.close()
  })

  it('shows the school logo and a student photo', async () => {
    const admin = await browser.newPage()
    await signIn(admin, baseUrl, users.admin)
    const [student] = await app.sql<{ id: string }[]>`SELECT id FROM student WHERE admission_number = 'RS-1001'`

    await admin.goto(`${baseUrl}/app/settings`)
    await admin.getByLabel('Brand colour').fill('#aa3300')
    await admin.getByRole('button', { name: 'Save the settings' }).click()
    await admin.getByText('The settings were saved.').waitFor()
    await admin.getByLabel('New logo').setInputFiles(join(FIXTURES, 'documents', 'José Ñúñez (staff photo).jpg'))
    // Both forms return to the same page with the same message, so wait for the upload's own response.
    const logoSaved = admin.waitForResponse((response) => response.url().startsWith(`${baseUrl}/app/settings/logo?`))
    await admin.getByRole('button', { name: 'Upload the logo' }).click()
    expect((await logoSaved).status()).toBe(303)
    await admin.getByText('The settings were saved.').waitFor()
    await admin.goto(`${baseUrl}/app/students/${student!.id}`)
    await admin.getByLabel('New photo').setInputFiles(join(FIXTURES, 'documents', 'José Ñúñez (staff photo).jpg'))
    await admin.getByRole('button', { name: 'Upload the photo' }).click()
    await admin.getByText('The student was saved.').waitFor()
    await screenshot(admin, 'student-with-photo')
    const loaded = (name: string) => admin.getByRole('img', { name }).evaluate((image: { complete: boolean; naturalWidth: number }) => image.complete && image.naturalWidth > 0)

    expect(await loaded('Riverside School logo')).toBe(true)
    // The colour comes from the one inline style element, which the CSP admits by its nonce.
    expect(await admin.evaluate("getComputedStyle(document.querySelector('header.site')).borderBottomColor")).toBe('rgb(170, 51, 0)')
    expect(await loaded('Photo of Amarachi Okafor')).toBe(true)
    await admin.close()
  })

  it('fits a phone-width screen', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 740 } })
    await signIn(page, baseUrl, users.office)
    const [student] = await app.sql<{ id: string }[]>`SELECT id FROM student WHERE admission_number = 'RS-1001'`

    await page.goto(`${baseUrl}/app/students/${student!.id}`)
    await screenshot(page, 'student-phone')
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')

    expect(overflow).toBe(0)
    await page.close()
  })

  it('uploads a document with progress and downloads it', async () => {
    const page = await browser.newPage({ acceptDownloads: true })
    await signIn(page, baseUrl, users.office)
    const [student] = await app.sql<{ id: string }[]>`SELECT id FROM student WHERE admission_number = 'RS-1001'`
    await page.goto(`${baseUrl}/app/students/${student!.id}`)
    await page.getByRole('link', { name: 'Upload a document for this student' }).click()

    await page.getByLabel('Category').selectOption('report-card')
    await page.getByLabel('Title').fill('Report card, autumn term')
    await page.getByLabel('File (PDF or image)').setInputFiles(PDF)
    const [upload] = await Promise.all([page.waitForRequest((request) => request.url() === `${baseUrl}/api/documents/upload`), page.getByRole('button', { name: 'Upload' }).click()])
    await page.waitForURL(/\/app\/documents\/[0-9a-f-]{36}$/)
    await screenshot(page, 'document')
    const linkText = await page.getByText('The download opens').textContent()
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()])
    const downloaded = await readFile((await download.path())!)

    expect(upload.resourceType()).toBe('xhr')
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Report card, autumn term')
    expect(linkText).toContain('a signed link that expires after 15 minutes')
    expect(download.suggestedFilename()).toBe('report%20final+v2 #1.pdf')
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(createHash('sha256').update(await readFile(PDF)).digest('hex'))
    await page.close()
  })

  it('hides payroll from office staff', async () => {
    const accountant = await browser.newPage()
    await signIn(accountant, baseUrl, users.accountant)
    await accountant.goto(`${baseUrl}/app/documents/upload`)
    await accountant.getByLabel('Category').selectOption('payroll')
    await accountant.getByLabel('Title').fill('Payroll November 2026')
    await accountant.getByLabel('File (PDF or image)').setInputFiles(PDF)
    await accountant.getByRole('button', { name: 'Upload' }).click()
    await accountant.waitForURL(/\/app\/documents\/[0-9a-f-]{36}$/)
    const payrollUrl = accountant.url()

    const office = await browser.newPage()
    await signIn(office, baseUrl, users.office)
    await office.goto(`${baseUrl}/app/documents`)
    await screenshot(office, 'documents-office')
    const officeTitles = await office.locator('tbody td:first-child').allTextContents()
    await office.goto(payrollUrl)
    const officeHeading = await office.getByRole('heading', { level: 1 }).textContent()
    await office.goto(`${baseUrl}/app/documents/upload`)
    const officeCategories = await office.getByLabel('Category').locator('option').allTextContents()
    await accountant.goto(`${baseUrl}/app/documents`)

    expect(officeTitles).not.toContain('Payroll November 2026')
    expect(officeHeading).toBe('Not found')
    expect(officeCategories).not.toContain('payroll')
    expect(await accountant.locator('tbody td:first-child').allTextContents()).toContain('Payroll November 2026')
    await office.close()
    await accountant.close()
  })

  it('backs up and shows a DR drill live', async () => {
    // The drill target answers with the app's schema, so the restore stage asks on-call first.
    await createDatabase(drillDatabase)
    const drillSql = connectDatabase(withDatabase(SERVER_URL, drillDatabase), { max: 1 })
    await migrate(drillSql)
    await drillSql.end()
    const page = await browser.newPage()
    await signIn(page, baseUrl, users.oncall)

    await page.goto(`${baseUrl}/app/ops/backups`)
    await page.getByRole('button', { name: 'Back up now' }).click()
    await page.getByText('Backup started').waitFor()
    await expect.poll(async () => (await page.reload(), page.locator('tbody tr').first().locator('td').nth(5).textContent()), { timeout: 120_000, interval: 1_000 }).toBe('passed')
    await screenshot(page, 'backups')

    await page.goto(`${baseUrl}/app/ops/dr`)
    await page.getByLabel('Reason').fill('drill from the web app')
    await page.getByLabel('Target database').fill(drillDatabase)
    await page.getByRole('button', { name: 'Start the DR run' }).click()
    await page.getByRole('button', { name: 'Approve restore' }).waitFor({ timeout: 120_000 })
    await screenshot(page, 'dr-waiting')
    await page.getByRole('button', { name: 'Approve restore' }).click()
    await page.getByText('Recorded: approve for stage restore.').waitFor()
    await page.getByTestId('dr-status').getByText('succeeded').waitFor({ timeout: 180_000 })
    await screenshot(page, 'dr-succeeded')

    const stages = await page.locator('[data-stage] > span').allTextContents()
    const runLink = await page.getByRole('link', { name: 'dr-restore in the Temporal UI' }).getAttribute('href')
    expect(stages).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded'])
    expect(runLink).toMatch(/^http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/dr-restore\/[0-9a-f-]{36}\/history$/)
    expect(await page.locator('[data-stage="verify"]').textContent()).toContain('access checks over 6 roles match the permission matrix')
    await page.close()
  })
})
