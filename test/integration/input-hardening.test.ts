import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { deflateRawSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app'
import { createLogger } from '../../observability/logger'
import { LocalObjectStore } from '../../storage/local'
import { InvalidObjectKeyError, type ObjectStore } from '../../storage/object-store'
import { seedSchool, seedUser, type SeededUser } from '../accounts-support'
import { LINK_SECRET, uploadFile } from '../documents-support'
import { createTestBucket, fixture, s3StoreFor } from '../storage-support'
import { createTestApp, testConfig, type TestApp } from '../support'

const PDF = 'report%20final+v2 #1.pdf'
const SQL_STRINGS = ["O'Brien'); DROP TABLE student; --", "' OR '1'='1", '%_\\', '$1 $$ ;', '"; SELECT pg_sleep(5); --', 'Robert Tables']

/** Builds a minimal ZIP archive of one deflated file of `size` zero bytes, a small decompression bomb. */
function zipBomb(size: number): Buffer {
  const data = deflateRawSync(Buffer.alloc(size))
  const name = Buffer.from('zeros.bin')
  const header = Buffer.alloc(30)
  header.writeUInt32LE(0x04034b50, 0)
  header.writeUInt16LE(20, 4)
  header.writeUInt16LE(8, 8)
  header.writeUInt32LE(data.length, 18)
  header.writeUInt32LE(size, 22)
  header.writeUInt16LE(name.length, 26)
  return Buffer.concat([header, name, data])
}

describe('input hardening', () => {
  let app: TestApp
  let http: ReturnType<typeof createApp>
  let admin: SeededUser
  let schoolId: string

  beforeAll(async () => {
    app = await createTestApp()
    const config = testConfig({ DATABASE_URL: app.url, STORAGE_PROVIDER: 'local', STORAGE_PRIVATE_PROVIDER: 'local', STORAGE_LOCAL_ROOT: join(app.storageRoot, 'private'), STORAGE_LINK_SECRET: LINK_SECRET, DOCUMENT_MAX_UPLOAD_MB: '1' })
    http = createApp({ config, sql: app.sql, temporal: () => Promise.reject(new Error('Temporal is not used here')), logger: createLogger({ level: 'silent', name: 'api' }) })
    schoolId = await seedSchool(app.sql)
    admin = await seedUser(app.sql, schoolId, ['admin'])
  })

  afterAll(async () => {
    await app?.cleanup()
  })

  async function count(table: 'student' | 'document' | 'audit_event'): Promise<number> {
    const [row] = await app.sql<{ n: string }[]>`SELECT count(*) AS n FROM ${app.sql(table)}`
    return Number(row?.n)
  }

  const student = (overrides: Record<string, unknown> = {}) => ({ admissionNumber: `H-${randomBytes(3).toString('hex')}`, firstName: 'Hanna', lastName: 'Hart', birthDate: '2012-05-01', admittedOn: '2024-09-01', ...overrides })

  it('rejects an oversized JSON body', async () => {
    const before = await count('student')
    const huge = JSON.stringify(student({ address: 'x'.repeat(2 * 1024 * 1024) }))
    const streamed = new ReadableStream({
      start(controller) {
        for (let index = 0; index < 32; index++) controller.enqueue(new TextEncoder().encode(index === 0 ? '{"address":"' : 'y'.repeat(64 * 1024)))
        controller.close()
      },
    })

    const sized = await http.request('/api/students', { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: huge })
    const unsized = await http.request('/api/students', { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: streamed, duplex: 'half' } as RequestInit)

    expect(sized.status).toBe(413)
    expect(unsized.status).toBe(413)
    expect(await count('student')).toBe(before)
  })

  it('rejects compressed request bodies', async () => {
    const before = [await count('student'), await count('audit_event')]
    // 64 MiB of spaces and one student inflate from about 64 KiB of gzip.
    const bomb = gzipSync(Buffer.concat([Buffer.from(JSON.stringify(student()).replace('{', `{${' '.repeat(64 * 1024 * 1024)}`))]))
    const csvBomb = gzipSync(Buffer.from(`admission_number,first_name,last_name,birth_date,admitted_on\n${'Z-1,A,B,2012-01-01,2024-09-01\n'.repeat(100_000)}`))

    const json = await http.request('/api/students', { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: bomb })
    const csv = await http.request('/api/students/import', { method: 'POST', headers: { ...admin.headers, 'content-type': 'text/csv', 'content-encoding': 'gzip' }, body: csvBomb })

    expect(bomb.length).toBeLessThan(200 * 1024)
    expect(json.status).toBe(415)
    expect(((await json.json()) as { error: string }).error).toMatch(/content-encoding/i)
    expect(csv.status).toBe(415)
    expect([await count('student'), await count('audit_event')]).toEqual(before)
  })

  it('rejects an archive uploaded as a document', async () => {
    const before = await count('document')

    const upload = await uploadFile(http, admin, { category: 'certificate', ownerType: 'school', title: 'archive', documentDate: '2025-03-01' }, { name: 'certificate.pdf', bytes: zipBomb(8 * 1024 * 1024), type: 'application/pdf' })

    expect(upload.status).toBe(400)
    expect((upload.body.fields as Record<string, string>).file).toMatch(/application\/zip/)
    expect(await count('document')).toBe(before)
  })

  it('keeps traversal file names inside the school folder', async () => {
    const names = ['../../../etc/passwd.pdf', '..\\..\\windows\\win.pdf', 'a/../../b.pdf', '%2e%2e%2fx.pdf', '....//....//y.pdf']

    for (const name of names) {
      const upload = await uploadFile(http, admin, { category: 'certificate', ownerType: 'school', title: name, documentDate: '2025-03-01' }, { name, bytes: fixture(PDF) })
      const [row] = await app.sql<{ storage_key: string; file_name: string }[]>`SELECT storage_key, file_name FROM document WHERE id = ${upload.body.id as string}`

      expect(upload.status, name).toBe(201)
      expect(row!.storage_key.startsWith(`documents/${schoolId}/certificate/`), row!.storage_key).toBe(true)
      expect(row!.storage_key.split('/').some((segment) => segment === '..' || segment === '.')).toBe(false)
    }
    // The store's root is the only entry of the test's own folder, so nothing landed beside it.
    expect(await readdir(app.storageRoot)).toEqual(['private'])
  })

  it('rejects traversal keys in every object store', async () => {
    const stores: ObjectStore[] = [new LocalObjectStore(join(app.storageRoot, 'private')), s3StoreFor(await createTestBucket())]
    const keys = ['../outside', 'documents/../../outside', '/etc/passwd', 'documents\\..\\x', 'documents/a\u0000b', 'documents//x', 'documents/./x']

    for (const store of stores) {
      for (const key of keys) {
        await expect(store.put(key, Readable.from([Buffer.from('x')])), `${store.provider} put ${key}`).rejects.toBeInstanceOf(InvalidObjectKeyError)
        await expect(store.get(key), `${store.provider} get ${key}`).rejects.toBeInstanceOf(InvalidObjectKeyError)
        await expect(store.stat(key), `${store.provider} stat ${key}`).rejects.toBeInstanceOf(InvalidObjectKeyError)
        await expect(store.delete(key), `${store.provider} delete ${key}`).rejects.toBeInstanceOf(InvalidObjectKeyError)
      }
    }
  })

  it('stores SQL meta-characters verbatim in every string field', async () => {
    const collections: { path: string; fields: string[]; body: () => Record<string, unknown> }[] = [
      { path: '/api/students', fields: ['admissionNumber', 'firstName', 'lastName', 'address', 'photoRef'], body: student },
      { path: '/api/guardians', fields: ['firstName', 'lastName', 'address'], body: () => ({ firstName: 'Gia', lastName: 'Guard' }) },
      { path: '/api/staff', fields: ['employeeNumber', 'firstName', 'lastName', 'position', 'department', 'photoRef'], body: () => ({ employeeNumber: `E-${randomBytes(3).toString('hex')}`, firstName: 'Sam', lastName: 'Staff', position: 'teacher' }) },
    ]

    for (const { path, fields, body } of collections) {
      for (const field of fields) {
        for (const text of SQL_STRINGS) {
          const value = field.endsWith('Number') ? `${text.slice(0, 30)}${randomBytes(2).toString('hex')}` : text
          const created = await http.request(path, { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify({ ...body(), [field]: value }) })
          const record = (await created.json()) as Record<string, unknown>
          const read = (await (await http.request(`${path}/${record.id as string}`, { headers: admin.headers })).json()) as Record<string, unknown>
          const search = await http.request(`${path}?q=${encodeURIComponent(text)}`, { headers: admin.headers })

          expect(created.status, `${path} ${field} ${text}`).toBe(201)
          expect(read[field], `${path} ${field}`).toBe(value.trim())
          expect(search.status).toBe(200)
        }
      }
    }
    const [tables] = await app.sql<{ n: string }[]>`SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('student', 'guardian', 'staff')`
    expect(Number(tables?.n)).toBe(3)
  })

  it('rejects a NUL byte in a string field', async () => {
    const before = await count('student')

    const response = await http.request('/api/students', { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify(student({ lastName: 'Null\u0000Byte' })) })
    const search = await http.request(`/api/students?q=${encodeURIComponent('a\u0000b')}`, { headers: admin.headers })

    expect(response.status).toBe(400)
    expect(((await response.json()) as { fields: Record<string, string> }).fields).toHaveProperty('lastName')
    expect(search.status).toBeLessThan(500)
    expect(await count('student')).toBe(before)
  })

  it('matches search wildcards literally', async () => {
    await http.request('/api/students', { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify(student({ lastName: 'Percent%Sign' })) })

    const percent = (await (await http.request(`/api/students?q=${encodeURIComponent('%')}&limit=100`, { headers: admin.headers })).json()) as { items: { lastName: string }[] }
    const underscore = (await (await http.request(`/api/students?q=${encodeURIComponent('_')}&limit=100`, { headers: admin.headers })).json()) as { items: { lastName: string }[] }

    expect(percent.items.length).toBeGreaterThan(0)
    expect(percent.items.every((item) => JSON.stringify(item).includes('%'))).toBe(true)
    expect(underscore.items.every((item) => JSON.stringify(item).includes('_'))).toBe(true)
  })

  it('neutralises header injection in file names and request ids', async () => {
    const name = 'report"\r\nSet-Cookie: stolen=1\r\nX-Evil: 1.pdf'
    const upload = await uploadFile(http, admin, { category: 'financial', ownerType: 'school', title: 'header test', documentDate: '2025-03-01' }, { name, bytes: fixture(PDF) })
    const redirect = await http.request(`/api/documents/${upload.body.id as string}/file`, { headers: admin.headers, redirect: 'manual' })
    const link = new URL(redirect.headers.get('location')!)
    const file = await http.request(`${link.pathname}${link.search}`)
    const echoed = await http.request('/healthz', { headers: { 'x-request-id': 'abc<script>alert(1)</script>' } })

    expect(upload.status).toBe(201)
    expect(file.status).toBe(200)
    expect(file.headers.get('set-cookie')).toBeNull()
    expect(file.headers.get('x-evil')).toBeNull()
    expect(file.headers.get('content-disposition')).not.toMatch(/[\r\n]/)
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="[^"]*"; filename\*=UTF-8''/)
    expect(echoed.headers.get('x-request-id')).toMatch(/^[\w-]+$/)
  })
})
