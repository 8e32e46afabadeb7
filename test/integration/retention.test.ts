import { historyToJSON } from '@temporalio/common/lib/proto-utils'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { startRetentionRun } from '../../client/retention'
import type { Config } from '../../config'
import { purgeDocument } from '../../data/retention'
import { createLogger } from '../../observability/logger'
import { DocumentStorage } from '../../storage/document-storage'
import { LocalObjectStore } from '../../storage/local'
import { LocalLinkSigner } from '../../storage/local-links'
import { retentionProgressQuery } from '../../workflows/retention-definitions'
import { seedSchool, seedUser, type SeededUser } from '../accounts-support'
import { createTestApp, testConfig, uniqueName, type TestApp } from '../support'
import { runOps } from '../cli-support'
import { startHarness, temporalAddressForTests, type TemporalHarness } from '../temporal-support'

type Json = Record<string, unknown>

describe('document retention', () => {
  let app: TestApp
  let config: Config
  let env: Record<string, string>
  let harness: TemporalHarness
  let http: ReturnType<typeof createApp>
  let primary: LocalObjectStore
  let mirror: LocalObjectStore
  let mirrorRoot: string
  let schoolId: string
  let slug: string
  const users = {} as Record<'admin' | 'office' | 'accountant' | 'ops', SeededUser>

  /** Inserts a student who left on `leftOn`, or who has not left when it is null. */
  async function student(leftOn: string | null): Promise<string> {
    const [row] = await app.sql<{ id: string }[]>`
      INSERT INTO student (school_id, admission_number, first_name, last_name, birth_date, admitted_on, left_on)
      VALUES (${schoolId}, ${uniqueName('adm')}, 'Ada', 'Pupil', '2001-04-02', '2005-09-01', ${leftOn}) RETURNING id`
    return row!.id
  }

  /** Enrols a student in a new academic year and section of the school. */
  async function enrol(studentId: string): Promise<void> {
    const year = uniqueName('year')
    const [row] = await app.sql<{ year: string; section: string }[]>`
      WITH y AS (INSERT INTO academic_year (school_id, name, starts_on, ends_on) VALUES (${schoolId}, ${year}, '2008-09-01', '2009-07-01') RETURNING id),
           s AS (INSERT INTO section (school_id, academic_year_id, grade, name) SELECT ${schoolId}, id, '9', 'A' FROM y RETURNING id, academic_year_id)
      SELECT academic_year_id AS year, id AS section FROM s`
    await app.sql`INSERT INTO enrolment (school_id, student_id, academic_year_id, section_id, enrolled_on) VALUES (${schoolId}, ${studentId}, ${row!.year}, ${row!.section}, '2008-09-01')`
  }

  /** Inserts a document with a file in primary storage and a copy in the mirror. */
  async function document(category: string, documentDate: string, owner: { type: 'school' | 'student'; id: string | null } = { type: 'school', id: null }): Promise<{ id: string; key: string }> {
    const key = `documents/${schoolId}/${category}/${uniqueName('file')}.pdf`
    const body = Buffer.from(`%PDF-1.4 ${key}`)
    await primary.put(key, Readable.from([body]))
    await mirror.put(key, Readable.from([body]))
    const [row] = await app.sql<{ id: string }[]>`
      INSERT INTO document (school_id, category, owner_type, owner_id, title, document_date, storage_provider, storage_key, file_name, content_type, size_bytes, sha256)
      VALUES (${schoolId}, ${category}, ${owner.type}, ${owner.id}, ${`${category} ${documentDate}`}, ${documentDate}, 'local', ${key}, 'file.pdf', 'application/pdf', ${body.length}, ${'a'.repeat(64)})
      RETURNING id`
    await app.sql`INSERT INTO mirror_object (key, sha256, size_bytes, source_modified_at) VALUES (${key}, ${'a'.repeat(64)}, ${body.length}, now())`
    return { id: row!.id, key }
  }

  async function call(user: SeededUser, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await http.request(path, { method, headers: { ...user.headers, 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await response.text()
    return { status: response.status, body: (text ? JSON.parse(text) : null) as Json }
  }

  const documentCount = async (ids: string[]) => Number((await app.sql`SELECT count(*) FROM document WHERE id IN ${app.sql(ids)}`)[0]!.count)
  const purgeRecords = async () => Number((await app.sql`SELECT count(*) FROM retention_purge WHERE school_id = ${schoolId}`)[0]!.count)

  beforeAll(async () => {
    app = await createTestApp()
    mirrorRoot = await mkdtemp(join(tmpdir(), 'school-ops-mirror-'))
    primary = new LocalObjectStore(app.storageRoot)
    mirror = new LocalObjectStore(mirrorRoot)
    env = { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: app.url, NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:3000', TEMPORAL_ADDRESS: temporalAddressForTests(), TEMPORAL_TASK_QUEUE: uniqueName('retention_tq'), STORAGE_LOCAL_ROOT: app.storageRoot }
    config = testConfig(env)
    const documents = new DocumentStorage({ local: primary, s3: null, cloudinary: null, localLinks: new LocalLinkSigner('retention-test-link-secret-0123456789', config.api.publicUrl), signedUrlMinutes: 5, credentialsExpireAt: null })
    harness = await startHarness(config, app.sql, primary, { mirror, documents })
    http = createApp({ config, sql: app.sql, temporal: async () => harness.client, logger: createLogger({ level: 'silent', name: 'api' }), storage: documents })

    schoolId = await seedSchool(app.sql)
    slug = (await app.sql<{ slug: string }[]>`SELECT slug FROM school WHERE id = ${schoolId}`)[0]!.slug
    users.admin = await seedUser(app.sql, schoolId, ['admin'])
    users.office = await seedUser(app.sql, schoolId, ['office'])
    users.accountant = await seedUser(app.sql, schoolId, ['accountant'])
    users.ops = await seedUser(app.sql, schoolId, ['ops'])
  })

  afterAll(async () => {
    await harness?.close()
    await app?.cleanup()
    await rm(mirrorRoot, { recursive: true, force: true })
  })

  it('shows the rule and end date on reads', async () => {
    const payslip = await document('payroll', '2024-05-10')
    const read = await call(users.accountant, 'GET', `/api/documents/${payslip.id}`)

    expect(read.status).toBe(200)
    expect(read.body.retention).toEqual({ class: 'financial', status: 'kept', rule: 'financial: 7 years from the end of the fiscal year of the document date', anchorDate: '2024-12-31', endsOn: '2032-01-01', legalHold: false, deletable: false })
  })

  it('refuses an early delete with the rule', async () => {
    const payslip = await document('payroll', '2024-05-10')
    const refused = await call(users.accountant, 'DELETE', `/api/documents/${payslip.id}`, undefined, { 'if-match': '"1"' })

    expect(refused.status).toBe(409)
    expect(refused.body.error).toBe(`document ${payslip.id} cannot be deleted before 2032-01-01 (financial: 7 years from the end of the fiscal year of the document date)`)
    expect(refused.body.endsOn).toBe('2032-01-01')
    expect(refused.body.rule).toBe('financial: 7 years from the end of the fiscal year of the document date')
    expect(await documentCount([payslip.id])).toBe(1)
    expect(await primary.stat(payslip.key)).not.toBeNull()
  })

  it('refuses academic deletes while the student is enrolled', async () => {
    const card = await document('report-card', '2010-06-30', { type: 'student', id: await student(null) })
    const refused = await call(users.office, 'DELETE', `/api/documents/${card.id}`, undefined, { 'if-match': '"1"' })

    expect(refused.status).toBe(409)
    expect(refused.body.endsOn).toBeNull()
    expect(refused.body.error).toContain("academic: 10 years from the student's leaving date")
  })

  it('deletes an expired document and its files', async () => {
    const notice = await document('notice', '2001-01-15')
    const deleted = await call(users.office, 'DELETE', `/api/documents/${notice.id}`, undefined, { 'if-match': '"1"' })

    expect(deleted.status).toBe(204)
    expect(await primary.stat(notice.key)).toBeNull()
    const [removal] = await app.sql`SELECT reason, primary_removed_at FROM document_file_removal WHERE storage_key = ${notice.key}`
    expect(removal?.reason).toBe('deleted')
    expect(removal?.primary_removed_at).not.toBeNull()
    // The mirror copy stays until the retention run removes it.
    expect(await mirror.stat(notice.key)).not.toBeNull()
  })

  it('places and lifts legal holds with audit', async () => {
    const notice = await document('notice', '2001-01-15')
    const forbidden = await call(users.office, 'POST', `/api/documents/${notice.id}/legal-hold`, { reason: 'court order 12' })
    const invalid = await call(users.admin, 'POST', `/api/documents/${notice.id}/legal-hold`, { reason: '' })
    const placed = await call(users.admin, 'POST', `/api/documents/${notice.id}/legal-hold`, { reason: 'court order 12' })
    const again = await call(users.admin, 'POST', `/api/documents/${notice.id}/legal-hold`, { reason: 'court order 13' })
    const refused = await call(users.office, 'DELETE', `/api/documents/${notice.id}`, undefined, { 'if-match': '"2"' })
    const lifted = await call(users.admin, 'POST', `/api/documents/${notice.id}/legal-hold/lift`, { reason: 'case closed' })
    const liftAgain = await call(users.admin, 'POST', `/api/documents/${notice.id}/legal-hold/lift`, { reason: 'case closed' })
    const history = await call(users.admin, 'GET', `/api/documents/${notice.id}/legal-holds`)
    const audit = await app.sql`SELECT action FROM audit_event WHERE entity_id = ${notice.id} ORDER BY id`

    expect(forbidden.status).toBe(403)
    expect(invalid.status).toBe(400)
    expect(invalid.body.fields).toHaveProperty('reason')
    expect(placed.status).toBe(201)
    expect(again.status).toBe(409)
    expect(refused.status).toBe(409)
    expect(refused.body.legalHold).toBe(true)
    expect(refused.body.error).toContain('legal hold')
    expect(lifted.status).toBe(200)
    expect(lifted.body.liftReason).toBe('case closed')
    expect(liftAgain.status).toBe(409)
    expect((history.body.holds as unknown[]).length).toBe(1)
    expect(audit.map((row) => row.action)).toEqual(['place-legal-hold', 'lift-legal-hold'])
  })

  it('reports what would be purged and why', async () => {
    const old = await document('financial', '2015-02-01')
    const held = await document('financial', '2015-02-01')
    await call(users.admin, 'POST', `/api/documents/${held.id}/legal-hold`, { reason: 'audit by the tax office' })
    const report = await call(users.ops, 'GET', '/api/ops/retention/report?asOf=2023-01-01&limit=500')
    const dayBefore = await call(users.ops, 'GET', '/api/ops/retention/report?asOf=2022-12-31&limit=500')
    const items = report.body.items as Json[]

    expect(report.status).toBe(200)
    expect(items.find((item) => item.documentId === old.id)).toMatchObject({ class: 'financial', endsOn: '2023-01-01', anchorDate: '2015-12-31' })
    expect(items.some((item) => item.documentId === held.id)).toBe(false)
    expect((dayBefore.body.items as Json[]).some((item) => item.documentId === old.id)).toBe(false)
    expect(await documentCount([old.id])).toBe(1)
  })

  it('purges after approval, exactly once', async () => {
    const expired = [await document('financial', '2010-03-01'), await document('report-card', '2000-01-01', { type: 'student', id: await student('2010-07-01') })]
    const kept = await document('certificate', '2019-01-01', { type: 'student', id: await student('2019-06-30') })
    const held = await document('payroll', '2010-03-01')
    await call(users.admin, 'POST', `/api/documents/${held.id}/legal-hold`, { reason: 'pending dispute' })
    const early = await call(users.admin, 'POST', '/api/ops/retention/approval')

    const handle = await startRetentionRun(harness.client, { taskQueue: config.temporal.taskQueue, school: { id: schoolId, slug }, dryRun: false, asOf: '2026-12-04', batchSize: 2 })
    await waitFor(async () => (await handle.query(retentionProgressQuery)).awaitingApproval)
    expect(await documentCount(expired.map((file) => file.id))).toBe(2)
    const forbidden = await call(users.ops, 'POST', '/api/ops/retention/approval')
    const approval = await call(users.admin, 'POST', '/api/ops/retention/approval')
    const result = await handle.result()
    if (process.env.RECORD_HISTORIES) await writeFile(new URL('../fixtures/histories/retention-purge-workflow.json', import.meta.url), historyToJSON(await handle.fetchHistory()))

    expect(early.status).toBe(409)
    expect(forbidden.status).toBe(403)
    expect(approval.status).toBe(202)
    expect(result.status).toBe('purged')
    expect(result.purged).toBeGreaterThanOrEqual(2)
    expect(result.fileRemovalFailures).toBe(0)
    expect(await documentCount(expired.map((file) => file.id))).toBe(0)
    expect(await documentCount([kept.id, held.id])).toBe(2)
    for (const file of expired) {
      expect(await primary.stat(file.key)).toBeNull()
      expect(await mirror.stat(file.key)).toBeNull()
    }
    expect(await primary.stat(held.key)).not.toBeNull()
    const records = await app.sql`SELECT entity_id, rule, ends_on, workflow_id FROM retention_purge WHERE entity = 'document' AND entity_id IN ${app.sql(expired.map((file) => file.id))} ORDER BY ends_on`
    expect(records.map((row) => row.rule)).toEqual(['financial: 7 years from the end of the fiscal year of the document date', "academic: 10 years from the student's leaving date"])
    expect(records.every((row) => row.workflow_id === handle.workflowId)).toBe(true)
    await expect(app.sql`DELETE FROM retention_purge`).rejects.toThrow('append-only')

    // The approval is remembered: a second run purges without waiting, and nothing twice.
    const before = await purgeRecords()
    const second = await (await startRetentionRun(harness.client, { taskQueue: config.temporal.taskQueue, school: { id: schoolId, slug }, dryRun: false, asOf: '2026-12-04' })).result()
    expect(second.status).toBe('purged')
    expect(second.purged).toBe(0)
    expect(await purgeRecords()).toBe(before)
  })

  it('guards student deletes by the academic rule', async () => {
    const mistaken = await student(null)
    const enrolled = await student(null)
    const leftRecently = await student('2020-07-01')
    const leftLongAgo = await student('2012-07-01')
    const withFile = await student('2000-07-01')
    for (const id of [enrolled, leftRecently, leftLongAgo]) await enrol(id)
    await document('notice', '2024-01-01', { type: 'student', id: withFile })

    const deleteStudent = (id: string) => call(users.admin, 'DELETE', `/api/students/${id}`, undefined, { 'if-match': '"1"' })
    const mistakenDelete = await deleteStudent(mistaken)
    const enrolledDelete = await deleteStudent(enrolled)
    const fileDelete = await deleteStudent(withFile)
    const recentDelete = await deleteStudent(leftRecently)
    const expiredDelete = await deleteStudent(leftLongAgo)

    expect(mistakenDelete.status).toBe(204)
    expect(enrolledDelete.status).toBe(409)
    expect(enrolledDelete.body.error).toBe(`student ${enrolled} cannot be deleted yet (academic: 10 years from the student's leaving date), and that date is not recorded`)
    expect(fileDelete.status).toBe(409)
    expect(fileDelete.body.error).toContain('still owns 1 document(s)')
    expect(recentDelete.status).toBe(409)
    expect(recentDelete.body.endsOn).toBe('2030-07-01')
    expect(expiredDelete.status).toBe(204)
    expect(await app.sql`SELECT 1 FROM enrolment WHERE student_id = ${leftLongAgo}`).toHaveLength(0)
  })

  it('purges expired student records', async () => {
    const expired = await student('2010-07-01')
    const recent = await student('2020-07-01')
    const owner = await student('2010-07-01')
    for (const id of [expired, recent, owner]) await enrol(id)
    const kept = await document('sensitive', '2010-01-01', { type: 'student', id: owner })
    await call(users.admin, 'POST', `/api/documents/${kept.id}/legal-hold`, { reason: 'safeguarding review' })

    const result = await (await startRetentionRun(harness.client, { taskQueue: config.temporal.taskQueue, school: { id: schoolId, slug }, dryRun: false, asOf: '2026-12-04' })).result()
    const remaining = await app.sql`SELECT id FROM student WHERE id IN ${app.sql([expired, recent, owner])}`
    const [record] = await app.sql`SELECT category, rule, ends_on FROM retention_purge WHERE entity = 'student' AND entity_id = ${expired}`

    expect(result.status).toBe('purged')
    expect(result.studentsPurged).toBeGreaterThanOrEqual(1)
    expect(result.studentCounts.held).toBeGreaterThanOrEqual(1)
    expect(remaining.map((row) => row.id).sort()).toEqual([recent, owner].sort())
    expect(record).toEqual({ category: 'student-record', rule: "academic: 10 years from the student's leaving date", ends_on: '2020-07-01' })
    expect(await app.sql`SELECT 1 FROM enrolment WHERE student_id = ${expired}`).toHaveLength(0)
  })

  it('CLI reports and runs dry', async () => {
    const old = await document('financial', '2012-08-01')
    const report = await runOps(env, ['retention', 'report', '--as-of', '2026-12-04', '--limit', '100000', '--json'])
    const text = await runOps(env, ['retention', 'report', '--as-of', '2026-12-04', '--limit', '1'])
    const dryRun = await runOps(env, ['retention', 'purge', '--dry-run', '--as-of', '2026-12-04'])
    const badDate = await runOps(env, ['retention', 'report', '--as-of', '04/12/2026'])
    const parsed = JSON.parse(report.stdout) as { expired: number; items: Json[] }

    expect(report.status).toBe(0)
    expect(parsed.items.find((item) => item.documentId === old.id)).toMatchObject({ endsOn: '2020-01-01', class: 'financial' })
    expect(parsed.expired).toBe(parsed.items.length)
    expect(text.stdout).toContain(`school ${slug}, as of 2026-12-04: ${parsed.expired} of`)
    expect(dryRun.status).toBe(0)
    expect(dryRun.stdout).toContain(`dry run of school ${slug}:`)
    expect(dryRun.stdout).toContain('nothing was purged')
    expect(badDate.status).toBe(2)
    expect(badDate.stderr).toContain('--as-of "04/12/2026" must be a date as YYYY-MM-DD')
    expect(await documentCount([old.id])).toBe(1)
  })

  it('purges a document once when retried', async () => {
    const notice = await document('notice', '2001-01-15')
    const context = { rules: config.retention.rules, asOf: '2026-12-04', workflowId: 'retention-test', runId: 'run-1' }

    const first = await purgeDocument(app.sql, schoolId, notice.id, context)
    const retried = await purgeDocument(app.sql, schoolId, notice.id, { ...context, runId: 'run-2' })
    const records = await app.sql`SELECT run_id FROM retention_purge WHERE entity = 'document' AND entity_id = ${notice.id}`

    expect(first).toBe('purged')
    expect(retried).toBe('gone')
    expect(records.map((row) => row.run_id)).toEqual(['run-1'])
  })

  it('dry run touches nothing', async () => {
    const old = await document('notice', '2001-01-15')
    const handle = await startRetentionRun(harness.client, { taskQueue: config.temporal.taskQueue, school: { id: schoolId, slug }, dryRun: true, asOf: '2026-12-04', batchSize: 3 })
    const result = await handle.result()
    const history = historyToJSON(await handle.fetchHistory())

    expect(result.status).toBe('dry-run')
    expect(result.counts.expired).toBeGreaterThanOrEqual(1)
    expect(result.counts.evaluated).toBe(Number((await app.sql`SELECT count(*) FROM document WHERE school_id = ${schoolId}`)[0]!.count))
    expect(result.purged).toBe(0)
    expect(await documentCount([old.id])).toBe(1)
    expect(await primary.stat(old.key)).not.toBeNull()
    if (process.env.RECORD_HISTORIES) await writeFile(new URL('../fixtures/histories/retention-dry-run-workflow.json', import.meta.url), history)
  })

  it('sweep starts each school purge', async () => {
    const expired = await document('notice', '2001-01-15')
    const sweep = await harness.client.workflow.start('retentionSweepWorkflow', { taskQueue: config.temporal.taskQueue, workflowId: uniqueName('retention-sweep'), args: [{ asOf: '2026-12-04' }] })
    const result = (await sweep.result()) as { started: string[]; skipped: string[] }
    const child = await harness.client.workflow.getHandle(`retention-purge-${slug}`).result()
    if (process.env.RECORD_HISTORIES) await writeFile(new URL('../fixtures/histories/retention-sweep-workflow.json', import.meta.url), historyToJSON(await sweep.fetchHistory()))

    expect(result.started).toEqual([slug])
    expect(result.skipped).toEqual([])
    expect(child.status).toBe('purged')
    expect(await documentCount([expired.id])).toBe(0)
  })
})

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
