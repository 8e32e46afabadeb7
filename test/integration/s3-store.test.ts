import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { documentKey } from '../../domain/storage-keys'
import { ObjectNotFoundError, ProviderUnavailableError } from '../../storage/object-store'
import type { S3ObjectStore } from '../../storage/s3'
import { freePort } from '../global-setup'
import { createTestBucket, documentFixtures, readAll, s3StoreFor } from '../storage-support'

const SCHOOL = randomUUID()

function keyOf(fileName: string): string {
  return documentKey({ schoolId: SCHOOL, category: 'certificate', documentId: randomUUID(), fileName })
}

describe('S3 object store on versitygw', () => {
  let store: S3ObjectStore

  beforeAll(async () => {
    store = s3StoreFor(await createTestBucket(), { partSizeBytes: 5 * 1024 * 1024 })
  })

  it('lists in byte order from a start key', async () => {
    for (const key of ['list/b', 'list/a', 'list/\u00e9', 'list/Z', 'list/\u{1f600}', 'list/\uffe0']) await store.put(key, Readable.from(['x']))

    const all: string[] = []
    for await (const object of store.list('list/')) all.push(object.key)
    const rest: string[] = []
    for await (const object of store.list('list/', { startAfter: 'list/b' })) rest.push(object.key)

    expect(all).toEqual(['list/Z', 'list/a', 'list/b', 'list/\u00e9', 'list/\uffe0', 'list/\u{1f600}'])
    expect(rest).toEqual(['list/\u00e9', 'list/\uffe0', 'list/\u{1f600}'])
  })

  it('round-trips the awkward real file names', async () => {
    const written: { key: string; bytes: Buffer }[] = []

    for (const { name, bytes } of documentFixtures()) {
      const key = keyOf(name)
      await store.put(key, Readable.from([bytes]), { contentType: 'application/octet-stream' })
      written.push({ key, bytes })
    }

    for (const { key, bytes } of written) {
      expect((await readAll(await store.get(key))).equals(bytes), key).toBe(true)
      expect((await store.stat(key))?.sizeBytes).toBe(bytes.length)
    }
    const listed = []
    for await (const object of store.list(`documents/${SCHOOL}/`)) listed.push(object.key)
    expect(listed.sort()).toEqual(written.map((entry) => entry.key).sort())
  })

  it('keeps slashes and dot segments of names inside the folder', async () => {
    const key = keyOf('../../backups/x/../Term 1/2 report.pdf')

    await store.put(key, Readable.from([Buffer.from('report')]))

    expect(key.startsWith(`documents/${SCHOOL}/certificate/`)).toBe(true)
    expect(key.split('/')).toHaveLength(5)
    expect((await readAll(await store.get(key))).toString()).toBe('report')
  })

  it('writes a file larger than one part by multipart upload', async () => {
    const bytes = Buffer.alloc(11 * 1024 * 1024, 7)
    const key = keyOf('large scan.pdf')

    await store.put(key, Readable.from(chunksOf(bytes, 256 * 1024)))

    expect((await store.stat(key))?.sizeBytes).toBe(bytes.length)
    expect((await readAll(await store.get(key))).equals(bytes)).toBe(true)
  })

  it('leaves no object when the body fails midway', async () => {
    const key = keyOf('cut off.pdf')
    async function* failing() {
      yield Buffer.alloc(6 * 1024 * 1024, 1)
      throw new Error('client went away')
    }

    await expect(store.put(key, Readable.from(failing()))).rejects.toThrow('client went away')

    expect(await store.stat(key)).toBeNull()
  })

  it('serves a signed URL over HTTP and rejects it once expired', async () => {
    const key = keyOf('公告 notice 2024–25.pdf')
    await store.put(key, Readable.from([Buffer.from('%PDF-1.4 notice')]))

    const url = await store.signedUrl(key, { expiresInSeconds: 2, fileName: '公告 notice 2024–25.pdf', contentType: 'application/pdf' })
    const fresh = await fetch(url)
    const freshBody = await fresh.text()
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const expired = await fetch(url)

    expect(fresh.status).toBe(200)
    expect(freshBody).toBe('%PDF-1.4 notice')
    expect(fresh.headers.get('content-disposition')).toContain("filename*=UTF-8''%E5%85%AC%E5%91%8A")
    expect(expired.status).toBe(403)
  })

  it('rejects a signed URL whose signature or key was changed', async () => {
    const key = keyOf('report%20final+v2 #1.pdf')
    const other = keyOf('payslip.pdf')
    await store.put(key, Readable.from([Buffer.from('mine')]))
    await store.put(other, Readable.from([Buffer.from('not mine')]))
    const url = new URL(await store.signedUrl(key, { expiresInSeconds: 60 }))

    const signature = url.searchParams.get('X-Amz-Signature')!
    const tamperedSignature = new URL(url)
    tamperedSignature.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`)
    const otherKey = new URL(url)
    otherKey.pathname = otherKey.pathname.replace(encodeURIComponent(key.split('/').at(-1)!), 'payslip.pdf')
    const longer = new URL(url)
    longer.searchParams.set('X-Amz-Expires', '604800')

    expect((await fetch(url)).status).toBe(200)
    expect((await fetch(tamperedSignature)).status).toBe(403)
    expect((await fetch(otherKey)).status).toBe(403)
    expect((await fetch(longer)).status).toBe(403)
  })

  it('lists XML-special keys with size, time and ETag', async () => {
    const keys = ['xml/a&b <c>.pdf', "xml/it's \"quoted\".pdf", 'xml/tab\there.pdf', 'xml/\u{1f600} &amp; done.pdf']
    for (const key of keys) await store.put(key, Readable.from([Buffer.from(key)]))
    const heads = await Promise.all(keys.map((key) => store.stat(key)))

    const listed = []
    for await (const object of store.list('xml/', { pageSize: 1 })) listed.push(object)

    expect(listed.map((object) => object.key).sort()).toEqual([...keys].sort())
    for (const object of listed) {
      const head = heads.find((entry) => entry?.key === object.key)
      expect(object.sizeBytes).toBe(Buffer.byteLength(object.key))
      expect(object.modifiedAt.getTime()).toBe(head?.modifiedAt.getTime())
      expect(object.etag).toMatch(/^"[0-9a-f]{32}"$/)
    }
  })

  it('reports a refused listing as unavailable', async () => {
    const wrongSecret = s3StoreFor({ ...(await createTestBucket()), secretAccessKey: 'not-the-secret' })

    const failure = await (async () => {
      for await (const object of wrongSecret.list('')) return object
    })().catch((error: unknown) => error)

    expect(failure).toBeInstanceOf(ProviderUnavailableError)
    expect((failure as Error).message).toMatch(/HTTP 403 SignatureDoesNotMatch/)
  })

  it('reports a missing key as not found', async () => {
    await expect(store.get(keyOf('absent.pdf'))).rejects.toBeInstanceOf(ObjectNotFoundError)
  })

  it('reports an unreachable server as unavailable', async () => {
    const down = s3StoreFor({ bucket: 'nowhere', endpoint: `http://127.0.0.1:${await freePort()}`, accessKeyId: 'a', secretAccessKey: 'b' })

    const failure = await down.put(keyOf('x.pdf'), Readable.from([Buffer.from('x')])).catch((error: unknown) => error)

    expect(failure).toBeInstanceOf(ProviderUnavailableError)
    expect((failure as ProviderUnavailableError).provider).toBe('s3')
  })
})

describe('S3 listing behind a page that is not S3', () => {
  let server: Server
  let endpoint: string

  beforeAll(async () => {
    // Every request gets 200 and a sign-in page, as from a proxy in front of a bucket.
    server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in</body></html>'))
    const port = await freePort()
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    endpoint = `http://127.0.0.1:${port}`
  })

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  it('reports a sign-in page as unavailable', async () => {
    const store = s3StoreFor({ bucket: 'documents', endpoint, accessKeyId: 'a', secretAccessKey: 'b' })

    const failure = await (async () => {
      for await (const object of store.list('')) return object
      return 'listed nothing'
    })().catch((error: unknown) => error)

    expect(failure).toBeInstanceOf(ProviderUnavailableError)
    expect((failure as Error).message).toMatch(/not a ListBucketResult/)
  })
})

function* chunksOf(bytes: Buffer, size: number): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size)
}
