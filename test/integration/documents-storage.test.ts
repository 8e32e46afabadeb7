import { serve } from '@hono/node-server'
import { once } from 'node:events'
import { readdir } from 'node:fs/promises'
import { get as httpsGet } from 'node:https'
import { connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { pipeInto } from '../../api/uploads'
import { recordEnvironmentProvider } from '../../data/document-files'
import { createLogger } from '../../observability/logger'
import { LocalObjectStore } from '../../storage/local'
import type { ObjectStore, PutOptions } from '../../storage/object-store'
import type { S3ObjectStore } from '../../storage/s3'
import { seedSchool, seedStaff, seedUser, type SeededUser } from '../accounts-support'
import { FakeCloudinary } from '../cloudinary-server'
import { storageEnvironment, testDocumentStorage, uploadFile, sha256, type Http, type Json } from '../documents-support'
import { createTestBucket, fixture, s3StoreFor } from '../storage-support'
import { createTestApp, testConfig, type TestApp } from '../support'

const CERTIFICATE = 'Zertifikat Schüler Nr. 1 + Anhang.pdf'
const NOTICE = '公告 notice 2024–25.pdf'
const REPORT = 'report%20final+v2 #1.pdf'
const PHOTO = 'José Ñúñez (staff photo).jpg'

describe('document files', () => {
  const fake = new FakeCloudinary('school-ops-docs', '998877665544', 'docs-api-secret-for-tests')
  let app: TestApp
  let s3: S3ObjectStore
  let bucket: Awaited<ReturnType<typeof createTestBucket>>
  let http: Http
  let schoolId: string
  let staffId: string
  const users = {} as Record<'admin' | 'office' | 'teacher' | 'accountant', SeededUser>

  function apiWith(environment: Record<string, string>): Http {
    const config = testConfig({ DATABASE_URL: app.url, STORAGE_LOCAL_ROOT: app.storageRoot, ...storageEnvironment(fake, bucket), ...environment })
    const storage = testDocumentStorage({ config, fake, s3, localRoot: app.storageRoot })
    return createApp({ config, sql: app.sql, temporal: () => Promise.reject(new Error('not used')), logger: createLogger({ level: 'silent', name: 'api' }), storage })
  }

  async function documentCount(): Promise<number> {
    const [row] = await app.sql<{ n: string }[]>`SELECT count(*) AS n FROM document WHERE school_id = ${schoolId}`
    return Number(row?.n)
  }

  async function download(api: Http, user: SeededUser, id: string): Promise<{ status: number; location: string | null; bytes: Buffer }> {
    const response = await api.request(`/api/documents/${id}/file`, { headers: user.headers, redirect: 'manual' })
    return { status: response.status, location: response.headers.get('location'), bytes: Buffer.from(await response.arrayBuffer()) }
  }

  /** Follows a download link the way a browser would, wherever it points. */
  async function fetchLink(api: Http, url: string): Promise<{ status: number; bytes: Buffer }> {
    const target = new URL(url)
    if (target.origin === fake.origin) {
      return new Promise((resolve, reject) => {
        httpsGet(target, { agent: fake.agent }, (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes: Buffer.concat(chunks) }))
        }).on('error', reject)
      })
    }
    const response = target.pathname === '/files/local' ? await api.request(`${target.pathname}${target.search}`) : await fetch(target)
    return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) }
  }

  async function readBack(api: Http, id: string, user: SeededUser = users.admin): Promise<Buffer> {
    const first = await download(api, user, id)
    if (first.status === 200) return first.bytes
    expect(first.status).toBe(302)
    const linked = await fetchLink(api, first.location!)
    expect(linked.status).toBe(200)
    return linked.bytes
  }

  beforeAll(async () => {
    app = await createTestApp()
    await fake.start()
    bucket = await createTestBucket()
    s3 = s3StoreFor(bucket)
    http = apiWith({ STORAGE_PROVIDER: 'cloudinary', STORAGE_PRIVATE_PROVIDER: 's3' })

    schoolId = await seedSchool(app.sql)
    staffId = await seedStaff(app.sql, schoolId, 'T-1')
    users.admin = await seedUser(app.sql, schoolId, ['admin'])
    users.office = await seedUser(app.sql, schoolId, ['office'])
    users.teacher = await seedUser(app.sql, schoolId, ['teacher'], staffId)
    users.accountant = await seedUser(app.sql, schoolId, ['accountant'])
  })

  afterAll(async () => {
    await fake?.stop()
    await app?.cleanup()
  })

  const fields = (category: string, extra: Record<string, string> = {}) => ({ category, ownerType: 'school', title: `${category} file`, documentDate: '2025-03-01', ...extra })

  it('stores each category where the table says', async () => {
    const certificate = await uploadFile(http, users.office, fields('certificate'), { name: CERTIFICATE, bytes: fixture(CERTIFICATE), type: 'text/plain' })
    const photo = await uploadFile(http, users.office, fields('staff-photo', { ownerType: 'staff', ownerId: staffId }), { name: PHOTO, bytes: fixture(PHOTO) })
    const payslip = await uploadFile(http, users.accountant, fields('payroll'), { name: REPORT, bytes: fixture(REPORT) })

    expect(certificate.status).toBe(201)
    expect(certificate.body).toMatchObject({ storageProvider: 'cloudinary', contentType: 'application/pdf', fileName: CERTIFICATE, sizeBytes: fixture(CERTIFICATE).length, sha256: sha256(fixture(CERTIFICATE)) })
    expect(certificate.body.storageKey).toBeUndefined()
    expect(photo.status).toBe(201)
    expect(photo.body).toMatchObject({ storageProvider: 'cloudinary', contentType: 'image/jpeg', fileName: PHOTO })
    expect(payslip.status).toBe(201)
    expect(payslip.body).toMatchObject({ storageProvider: 's3', contentType: 'application/pdf', sha256: sha256(fixture(REPORT)) })
    const [row] = await app.sql`SELECT storage_key FROM document WHERE id = ${payslip.body.id as string}`
    expect(await s3.stat(row!.storage_key as string)).toMatchObject({ sizeBytes: fixture(REPORT).length })
    expect([...fake.assets.keys()].some((key) => key.startsWith(`image/authenticated/documents/${schoolId}/staff-photo/`))).toBe(true)
  })

  it('serves each access type to whom it may', async () => {
    const certificate = await uploadFile(http, users.office, fields('certificate'), { name: CERTIFICATE, bytes: fixture(CERTIFICATE) })
    const photo = await uploadFile(http, users.office, fields('staff-photo', { ownerType: 'staff', ownerId: staffId }), { name: PHOTO, bytes: fixture(PHOTO) })
    const payslip = await uploadFile(http, users.accountant, fields('payroll'), { name: REPORT, bytes: fixture(REPORT) })

    const publicLink = await download(http, users.office, certificate.body.id as string)
    const proxied = await download(http, users.office, photo.body.id as string)
    const signed = await download(http, users.accountant, payslip.body.id as string)
    const signedFetch = await fetchLink(http, signed.location!)

    expect(publicLink.status).toBe(302)
    expect(publicLink.location?.startsWith(`${fake.origin}/${fake.cloudName}/raw/upload/`)).toBe(true)
    expect((await fetchLink(http, publicLink.location!)).bytes.equals(fixture(CERTIFICATE))).toBe(true)
    expect(proxied.status).toBe(200)
    expect(proxied.bytes.equals(fixture(PHOTO))).toBe(true)
    expect(signed.status).toBe(302)
    expect(new URL(signed.location!).searchParams.get('X-Amz-Expires')).toBe('900')
    expect(signedFetch.status).toBe(200)
    expect(signedFetch.bytes.equals(fixture(REPORT))).toBe(true)
    expect((await download(http, users.accountant, photo.body.id as string)).status).toBe(404)
    expect((await download(http, users.teacher, photo.body.id as string)).status).toBe(404)
    expect((await download(http, users.office, payslip.body.id as string)).status).toBe(404)
    expect((await download(http, users.teacher, payslip.body.id as string)).status).toBe(404)
  })

  it('rejects uploads by role, type, size and fields', async () => {
    const before = await documentCount()

    const teacherUpload = await uploadFile(http, users.teacher, fields('notice'), { name: NOTICE, bytes: fixture(NOTICE) })
    const officePayroll = await uploadFile(http, users.office, fields('payroll'), { name: REPORT, bytes: fixture(REPORT) })
    const pdfAsPhoto = await uploadFile(http, users.office, fields('staff-photo', { ownerType: 'staff', ownerId: staffId }), { name: 'photo.jpg', bytes: fixture(REPORT), type: 'image/jpeg' })
    const unknownOwner = await uploadFile(http, users.office, fields('student-photo', { ownerType: 'student', ownerId: staffId }), { name: PHOTO, bytes: fixture(PHOTO) })
    const missingTitle = await uploadFile(http, users.office, { category: 'notice', ownerType: 'school', documentDate: '2025-03-01', colour: 'red' }, { name: NOTICE, bytes: fixture(NOTICE) })
    const tooLarge = await uploadFile(apiWith({ STORAGE_PROVIDER: 'cloudinary', STORAGE_PRIVATE_PROVIDER: 's3', DOCUMENT_MAX_UPLOAD_MB: '1' }), users.office, fields('notice'), { name: 'Sunset by the Pier.jpg', bytes: fixture('Sunset by the Pier.jpg') })

    expect(teacherUpload.status).toBe(403)
    expect(officePayroll.status).toBe(403)
    expect(pdfAsPhoto.status).toBe(400)
    expect((pdfAsPhoto.body.fields as Json).file).toContain('application/pdf')
    expect(unknownOwner.status).toBe(400)
    expect((unknownOwner.body.fields as Json).ownerId).toContain('does not name a student')
    expect(missingTitle.status).toBe(400)
    expect(Object.keys(missingTitle.body.fields as Json).sort()).toEqual(['colour', 'title'])
    expect(tooLarge.status).toBe(413)
    expect(String(tooLarge.body.error)).toContain('file')
    expect(await documentCount()).toBe(before)
  })

  it('keeps awkward names inside their folder', async () => {
    const names = ['../../backups/x/../escape.pdf', 'Term 1/2 report.pdf', '..', '%2e%2e%2fsecret.pdf', NOTICE]

    const uploaded = []
    for (const name of names) uploaded.push(await uploadFile(http, users.accountant, fields('financial'), { name, bytes: fixture(REPORT) }))
    const keys = await app.sql<{ storage_key: string; file_name: string }[]>`
      SELECT storage_key, file_name FROM document WHERE id IN ${app.sql(uploaded.map((entry) => entry.body.id as string))}`

    expect(uploaded.map((entry) => entry.status)).toEqual(names.map(() => 201))
    expect(keys.map((row) => row.file_name).sort()).toEqual([...names].sort())
    for (const { storage_key: key } of keys) {
      expect(key.startsWith(`documents/${schoolId}/financial/`)).toBe(true)
      expect(key.split('/')).toHaveLength(5)
      expect(key.split('/').some((segment) => segment === '..' || segment === '.')).toBe(false)
    }
    for (const entry of uploaded) expect((await readBack(http, entry.body.id as string)).equals(fixture(REPORT))).toBe(true)
  })

  it('switches providers and reads everything back', async () => {
    const noticeBefore = await uploadFile(http, users.office, fields('notice'), { name: NOTICE, bytes: fixture(NOTICE) })
    const financialBefore = await uploadFile(http, users.accountant, fields('financial'), { name: REPORT, bytes: fixture(REPORT) })
    await recordEnvironmentProvider(app.sql, 'cloudinary')

    const onS3 = apiWith({ STORAGE_PROVIDER: 's3', STORAGE_PRIVATE_PROVIDER: 's3' })
    const previous = await recordEnvironmentProvider(app.sql, 's3')
    const afterEnvSwitch = await uploadFile(onS3, users.office, fields('notice'), { name: CERTIFICATE, bytes: fixture(CERTIFICATE) })
    const settings = await onS3.request('/api/settings', { headers: users.admin.headers })
    const patched = await onS3.request('/api/settings', { method: 'PATCH', headers: { ...users.admin.headers, 'content-type': 'application/json', 'if-match': settings.headers.get('etag')! }, body: JSON.stringify({ storageProvider: 'local' }) })
    const photoAfter = await uploadFile(onS3, users.office, fields('staff-photo', { ownerType: 'staff', ownerId: staffId }), { name: PHOTO, bytes: fixture(PHOTO) })
    const payrollAfter = await uploadFile(onS3, users.accountant, fields('payroll'), { name: NOTICE, bytes: fixture(NOTICE) })
    const expected = [[noticeBefore, NOTICE], [financialBefore, REPORT], [afterEnvSwitch, CERTIFICATE], [photoAfter, PHOTO], [payrollAfter, NOTICE]] as const

    expect(previous).toBe('cloudinary')
    expect(patched.status).toBe(200)
    expect(expected.map(([upload]) => upload.body.storageProvider)).toEqual(['cloudinary', 's3', 's3', 'local', 'local'])
    for (const [upload, name] of expected) {
      const user = upload.body.category === 'financial' || upload.body.category === 'payroll' ? users.accountant : users.admin
      expect((await readBack(onS3, upload.body.id as string, user)).equals(fixture(name)), name).toBe(true)
    }
    const audit = await app.sql`SELECT entity, before, after FROM audit_event WHERE entity IN ('storage_provider', 'school_settings') ORDER BY id`
    expect(audit.some((event) => event.entity === 'storage_provider' && event.after.provider === 's3' && event.before.provider === 'cloudinary')).toBe(true)
    expect(audit.some((event) => event.entity === 'school_settings' && event.after.storageProvider === 'local')).toBe(true)
    await app.sql`UPDATE school SET storage_provider = NULL WHERE id = ${schoolId}`
  })

  it('answers 503 naming a provider that is down', async () => {
    const before = await documentCount()
    const deadS3 = s3StoreFor({ ...bucket, endpoint: 'http://127.0.0.1:9' })
    const config = testConfig({ DATABASE_URL: app.url, STORAGE_LOCAL_ROOT: app.storageRoot, ...storageEnvironment(fake, bucket), STORAGE_PROVIDER: 'cloudinary', STORAGE_PRIVATE_PROVIDER: 's3', CLOUDINARY_UPLOAD_PREFIX: 'https://127.0.0.1:9' })
    const storage = testDocumentStorage({ config, fake, s3: deadS3, localRoot: app.storageRoot })
    const down = createApp({ config, sql: app.sql, temporal: () => Promise.reject(new Error('not used')), logger: createLogger({ level: 'silent', name: 'api' }), storage })

    const s3Down = await uploadFile(down, users.accountant, fields('financial'), { name: REPORT, bytes: fixture(REPORT) })
    const cloudinaryDown = await uploadFile(down, users.office, fields('notice'), { name: NOTICE, bytes: fixture(NOTICE) })

    expect(s3Down.status).toBe(503)
    expect(String(s3Down.body.error)).toContain('storage provider s3 is unavailable')
    expect(cloudinaryDown.status).toBe(503)
    expect(String(cloudinaryDown.body.error)).toContain('storage provider cloudinary is unavailable')
    expect(await documentCount()).toBe(before)
  })

  it('rejects tampered and expired local links', async () => {
    const local = apiWith({ STORAGE_PROVIDER: 'local' })
    const upload = await uploadFile(local, users.accountant, fields('financial'), { name: REPORT, bytes: fixture(REPORT) })
    const { location } = await download(local, users.accountant, upload.body.id as string)
    const link = new URL(location!)

    const tampered = new URL(link)
    tampered.searchParams.set('signature', link.searchParams.get('signature')!.replace(/^./, (first) => (first === 'a' ? 'b' : 'a')))
    const otherKey = new URL(link)
    otherKey.searchParams.set('key', link.searchParams.get('key')!.replace(/[^/]+$/, 'other.pdf'))
    const longer = new URL(link)
    longer.searchParams.set('expires', String(Number(link.searchParams.get('expires')) + 3600))
    const [row] = await app.sql`SELECT storage_key FROM document WHERE id = ${upload.body.id as string}`
    const signer = testDocumentStorage({ config: testConfig({ ...storageEnvironment(fake, bucket) }), fake, s3, localRoot: app.storageRoot }).localLinks
    const expired = new URL(signer.sign({ key: row!.storage_key as string, expires: Math.floor(Date.now() / 1000) - 5, fileName: REPORT, contentType: 'application/pdf' }))
    const backup = new URL(signer.sign({ key: 'backups/school_ops/x.dump', expires: Math.floor(Date.now() / 1000) + 60, fileName: 'x.dump', contentType: 'application/octet-stream' }))

    expect((await fetchLink(local, link.toString())).status).toBe(200)
    expect((await fetchLink(local, tampered.toString())).status).toBe(403)
    expect((await fetchLink(local, otherKey.toString())).status).toBe(403)
    expect((await fetchLink(local, longer.toString())).status).toBe(403)
    expect((await fetchLink(local, expired.toString())).status).toBe(403)
    expect((await fetchLink(local, backup.toString())).status).toBe(403)
    expect((await local.request('/files/local?key=x')).status).toBe(400)
  })

  it('uploads the school logo and links it', async () => {
    const forbidden = await uploadFile(http, users.office, {}, { name: 'logo.png', bytes: fixture(PHOTO) }, '/api/settings/logo')
    const logo = await uploadFile(http, users.admin, {}, { name: 'Sunset by the Pier.jpg', bytes: fixture('Sunset by the Pier.jpg') }, '/api/settings/logo')
    const settings = (await (await http.request('/api/settings', { headers: users.office.headers })).json()) as Json
    const link = await download(http, users.teacher, logo.body.id as string)

    expect(forbidden.status).toBe(403)
    expect(logo.status).toBe(201)
    expect(logo.body).toMatchObject({ category: 'branding', storageProvider: 'cloudinary', contentType: 'image/jpeg' })
    expect(settings.logoRef).toBe(logo.body.id)
    expect(link.status).toBe(302)
    expect((await fetchLink(http, link.location!)).bytes.equals(fixture('Sunset by the Pier.jpg'))).toBe(true)
  })

  it('deletes the file with its document', async () => {
    // Dated long ago, so their retention periods have ended and the delete is allowed.
    const notice = await uploadFile(http, users.office, fields('notice', { documentDate: '2001-03-01' }), { name: NOTICE, bytes: fixture(NOTICE) })
    const payslip = await uploadFile(http, users.accountant, fields('payroll', { documentDate: '2001-03-01' }), { name: REPORT, bytes: fixture(REPORT) })
    const rows = await app.sql<{ id: string; storage_key: string }[]>`SELECT id, storage_key FROM document WHERE id IN (${notice.body.id as string}, ${payslip.body.id as string})`
    const keyOf = (id: unknown) => rows.find((row) => row.id === id)!.storage_key

    for (const [user, id] of [[users.office, notice.body.id], [users.accountant, payslip.body.id]] as const) {
      const response = await http.request(`/api/documents/${id as string}`, { method: 'DELETE', headers: { ...user.headers, 'if-match': '"1"' } })
      expect(response.status).toBe(204)
    }

    expect(fake.assets.has(`raw/upload/${keyOf(notice.body.id)}`)).toBe(false)
    expect(await s3.stat(keyOf(payslip.body.id))).toBeNull()
  })

  it('leaves nothing of an upload cut off midway', async () => {
    const rowsBefore = await documentCount()
    const objectsBefore = await storedFiles()
    const cut: string[] = []

    for (const provider of ['s3', 'local'] as const) {
      const api = apiWith({ STORAGE_PROVIDER: provider, STORAGE_PRIVATE_PROVIDER: 's3' })
      const server = serve({ fetch: api.fetch, hostname: '127.0.0.1', port: 0 })
      await once(server, 'listening')
      await sendHalfAnUpload((server.address() as AddressInfo).port, users.accountant, fixture('Sunset by the Pier.jpg'))
      cut.push(provider)
      // The server notices the dropped connection asynchronously.
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      server.close()
    }

    const objectsAfter = await storedFiles()
    expect(cut).toEqual(['s3', 'local'])
    expect(await documentCount()).toBe(rowsBefore)
    expect(objectsAfter.s3).toEqual(objectsBefore.s3)
    expect(objectsAfter.local).toEqual(objectsBefore.local)
    expect(objectsAfter.local.filter((name) => name.endsWith('.partial'))).toEqual([])
  })

  /** Lists the school's financial objects in the S3 bucket and the local store, and any half-written local file. */
  async function storedFiles(): Promise<{ s3: string[]; local: string[] }> {
    const onS3: string[] = []
    for await (const object of s3.list(`documents/${schoolId}/financial/`)) onS3.push(object.key)
    const local: string[] = []
    for await (const object of new LocalObjectStore(app.storageRoot).list(`documents/${schoolId}/financial/`)) local.push(object.key)
    const folder = join(app.storageRoot, 'documents', schoolId, 'financial')
    const partial = (await readdir(folder, { recursive: true }).catch(() => [])).map(String).filter((name) => name.endsWith('.partial'))
    return { s3: onS3.sort(), local: [...local.sort(), ...partial] }
  }

  it('streams a large upload without holding it', async () => {
    let pulled = 0
    let stored = 0
    let maxLag = 0
    const counting: ObjectStore = Object.assign(Object.create(s3) as S3ObjectStore, {
      put: (key: string, body: Readable, options?: PutOptions) => {
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            stored += chunk.length
            done(null, chunk)
          },
        })
        return s3.put(key, pipeInto(body, counter), options)
      },
    })
    const config = testConfig({ DATABASE_URL: app.url, STORAGE_LOCAL_ROOT: app.storageRoot, ...storageEnvironment(fake, bucket), STORAGE_PROVIDER: 's3', DOCUMENT_MAX_UPLOAD_MB: '64' })
    const storage = testDocumentStorage({ config, fake, s3: counting as S3ObjectStore, localRoot: app.storageRoot })
    const api = createApp({ config, sql: app.sql, temporal: () => Promise.reject(new Error('not used')), logger: createLogger({ level: 'silent', name: 'api' }), storage })
    const fileBytes = 48 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    const boundary = 'large-upload-boundary'
    const fieldPart = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
    const head = fieldPart('category', 'financial') + fieldPart('ownerType', 'school') + fieldPart('title', 'Ledger scan') + fieldPart('documentDate', '2025-03-01') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="ledger.pdf"\r\n\r\n%PDF-1.4\n`
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(Buffer.from(head))
      },
      pull(controller) {
        maxLag = Math.max(maxLag, pulled - stored)
        if (pulled >= fileBytes) {
          controller.enqueue(Buffer.from(`\r\n--${boundary}--\r\n`))
          controller.close()
          return
        }
        pulled += chunk.length
        controller.enqueue(new Uint8Array(chunk))
      },
    })

    const response = await api.request('/api/documents/upload', {
      method: 'POST',
      headers: { ...users.accountant.headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
      duplex: 'half',
    } as RequestInit)
    const created = (await response.json()) as Json

    expect(response.status).toBe(201)
    expect(created.sizeBytes).toBe(fileBytes + '%PDF-1.4\n'.length)
    expect(stored).toBe(created.sizeBytes)
    // Bytes read from the client but not yet handed to the store: stream buffers only.
    expect(maxLag).toBeGreaterThan(0)
    expect(maxLag).toBeLessThan(2 * 1024 * 1024)
  })

  it('rejects selecting an unconfigured provider', async () => {
    const localOnly = createApp({ config: testConfig({ DATABASE_URL: app.url, STORAGE_LOCAL_ROOT: app.storageRoot }), sql: app.sql, temporal: () => Promise.reject(new Error('not used')), logger: createLogger({ level: 'silent', name: 'api' }) })
    const settings = await localOnly.request('/api/settings', { headers: users.admin.headers })
    const patch = (storageProvider: string) =>
      localOnly.request('/api/settings', { method: 'PATCH', headers: { ...users.admin.headers, 'content-type': 'application/json', 'if-match': settings.headers.get('etag')! }, body: JSON.stringify({ storageProvider }) })

    const cloudinary = await patch('cloudinary')
    const s3Selected = await patch('s3')
    const [school] = await app.sql`SELECT storage_provider FROM school WHERE id = ${schoolId}`

    expect(cloudinary.status).toBe(400)
    expect(((await cloudinary.json()) as { fields: Json }).fields.storageProvider).toBe('cloudinary is not configured on this deployment; choose one of local')
    expect(s3Selected.status).toBe(400)
    expect(school?.storage_provider).toBeNull()
  })

  it('refuses a private category at Cloudinary in the database', async () => {
    const insert = app.sql`
      INSERT INTO document (school_id, category, owner_type, title, document_date, storage_provider, storage_key, file_name, content_type, size_bytes, sha256)
      VALUES (${schoolId}, 'payroll', 'school', 'x', '2025-01-01', 'cloudinary', 'documents/x', 'x.pdf', 'application/pdf', 1, ${'0'.repeat(64)})`

    await expect(insert).rejects.toMatchObject({ code: '23514', constraint_name: 'document_private_category_check' })
  })
})

/**
 * Sends the headers and first 300 KB of a 1.2 MB multipart upload over a real socket, then
 * drops the connection, as a browser closed mid-upload does.
 */
async function sendHalfAnUpload(port: number, user: SeededUser, file: Buffer): Promise<void> {
  const boundary = 'cut-off-upload-boundary'
  const fieldPart = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
  const head = Buffer.from(
    fieldPart('category', 'financial') + fieldPart('ownerType', 'school') + fieldPart('title', 'cut off') + fieldPart('documentDate', '2025-03-01') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  )
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), file])
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(
    `POST /api/documents/upload HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${user.headers.authorization}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${head.length + pdf.length + boundary.length + 8}\r\n\r\n`,
  )
  socket.write(head)
  socket.write(pdf.subarray(0, 300 * 1024))
  await new Promise((resolve) => setTimeout(resolve, 300))
  socket.destroy()
}
