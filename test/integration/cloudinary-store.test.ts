import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { documentKey } from '../../domain/storage-keys'
import { CloudinaryMediaStore, mediaAssetOf } from '../../storage/cloudinary'
import { ProviderUnavailableError } from '../../storage/object-store'
import { FakeCloudinary } from '../cloudinary-server'
import { freePort } from '../global-setup'
import { fixture, readAll } from '../storage-support'

const SECRET = 'fake-cloudinary-secret-for-tests'
const SCHOOL = randomUUID()

describe('Cloudinary media store with the real SDK', () => {
  const fake = new FakeCloudinary('school-ops-test', '123456789012345', SECRET)
  let store: CloudinaryMediaStore

  function storeWith(overrides: Partial<ConstructorParameters<typeof CloudinaryMediaStore>[0]> = {}) {
    return new CloudinaryMediaStore({
      cloudName: fake.cloudName,
      apiKey: fake.apiKey,
      apiSecret: SECRET,
      uploadPrefix: fake.origin,
      deliveryHost: fake.host,
      chunkSizeBytes: 256 * 1024,
      agent: fake.agent,
      ...overrides,
    })
  }

  beforeAll(async () => {
    await fake.start()
    store = storeWith()
  })

  afterAll(async () => {
    await fake.stop()
  })

  it('uploads a large photo in signed chunks', async () => {
    const photo = fixture('Sunset by the Pier.jpg')
    const key = documentKey({ schoolId: SCHOOL, category: 'staff-photo', documentId: randomUUID(), fileName: 'Sunset by the Pier.jpg' })
    const before = fake.calls.length

    const asset = await store.put(key, Readable.from([photo]), { contentType: 'image/jpeg', access: 'restricted' })

    const chunks = fake.calls.slice(before).filter((call) => call.action === 'upload')
    expect(chunks).toHaveLength(Math.ceil(photo.length / (256 * 1024)))
    expect(chunks.every((call) => call.status === 200)).toBe(true)
    expect(chunks.at(-1)?.contentRange).toBe(`bytes ${Math.floor(photo.length / (256 * 1024)) * 256 * 1024}-${photo.length - 1}/${photo.length}`)
    expect(asset).toMatchObject({ resourceType: 'image', type: 'authenticated', format: 'jpg' })
    expect(asset.publicId).toBe(key.replace(/\.jpg$/, ''))
    expect(fake.assets.get(`image/authenticated/${asset.publicId}`)?.bytes.equals(photo)).toBe(true)
  })

  it('signs public ids with non-ASCII letters, commas and slashes', async () => {
    const photo = fixture('José Ñúñez (staff photo).jpg')
    const key = documentKey({ schoolId: SCHOOL, category: 'staff-photo', documentId: randomUUID(), fileName: 'Ñúñez, José (staff photo).jpg' })

    const asset = await store.put(key, Readable.from([photo]), { contentType: 'image/jpeg', access: 'restricted' })
    const delivered = await readAll(await store.open(asset))

    expect(asset.publicId).toContain('/Ñúñez, José (staff photo)')
    expect(delivered.equals(photo)).toBe(true)
  })

  it('gives a public URL for public assets that serves the bytes', async () => {
    const pdf = fixture('Zertifikat Schüler Nr. 1 + Anhang.pdf')
    const key = documentKey({ schoolId: SCHOOL, category: 'certificate', documentId: randomUUID(), fileName: 'Zertifikat Schüler Nr. 1 + Anhang.pdf' })

    const asset = await store.put(key, Readable.from([pdf]), { contentType: 'application/pdf', access: 'public' })
    const url = store.publicUrl(asset)
    const body = await readAll(Readable.from(await fetchThrough(url)))

    expect(asset).toMatchObject({ resourceType: 'raw', type: 'upload', publicId: key })
    expect(url.startsWith(`${fake.origin}/${fake.cloudName}/raw/upload/`)).toBe(true)
    expect(body.equals(pdf)).toBe(true)
  })

  it('rejects a delivery URL with a wrong signature', async () => {
    const key = documentKey({ schoolId: SCHOOL, category: 'student-photo', documentId: randomUUID(), fileName: 'a.jpg' })
    const asset = await store.put(key, Readable.from([fixture('José Ñúñez (staff photo).jpg')]), { contentType: 'image/jpeg', access: 'restricted' })

    const failure = await storeWith({ apiSecret: 'another-secret' }).open(asset).catch((error: unknown) => error)

    expect(failure).toBeInstanceOf(ProviderUnavailableError)
    expect(fake.calls.at(-1)).toMatchObject({ action: 'delivery', status: 401 })
  })

  it('fails an upload signed with the wrong secret and stores nothing', async () => {
    const key = documentKey({ schoolId: SCHOOL, category: 'notice', documentId: randomUUID(), fileName: 'notice.pdf' })

    const failure = await storeWith({ apiSecret: 'another-secret' })
      .put(key, Readable.from([fixture('公告 notice 2024–25.pdf')]), { contentType: 'application/pdf', access: 'public' })
      .catch((error: unknown) => error)

    expect(failure).toBeInstanceOf(ProviderUnavailableError)
    expect((failure as Error).message).toContain('invalid signature')
    expect(fake.calls.at(-1)).toMatchObject({ action: 'upload', status: 401 })
    expect(fake.assets.has(`raw/upload/${key}`)).toBe(false)
  })

  it('destroys an asset with a signed call', async () => {
    const key = documentKey({ schoolId: SCHOOL, category: 'notice', documentId: randomUUID(), fileName: 'report%20final+v2 #1.pdf' })
    const asset = await store.put(key, Readable.from([fixture('report%20final+v2 #1.pdf')]), { contentType: 'application/pdf', access: 'public' })

    await store.delete(asset)
    await store.delete(asset)

    expect(fake.assets.has(`raw/upload/${asset.publicId}`)).toBe(false)
    expect(fake.calls.filter((call) => call.action === 'destroy').slice(-2).map((call) => call.status)).toEqual([200, 200])
  })

  it('leaves no asset when the body fails between chunks', async () => {
    const key = documentKey({ schoolId: SCHOOL, category: 'staff-photo', documentId: randomUUID(), fileName: 'cut.jpg' })
    async function* failing() {
      yield fixture('Sunset by the Pier.jpg').subarray(0, 600 * 1024)
      throw new Error('client went away')
    }

    await expect(store.put(key, Readable.from(failing()), { contentType: 'image/jpeg', access: 'restricted' })).rejects.toThrow('client went away')

    expect(fake.assets.has(`image/authenticated/${mediaAssetOf(key, 'image/jpeg', 'restricted').publicId}`)).toBe(false)
  })

  it('reports an unreachable API as unavailable', async () => {
    const down = storeWith({ uploadPrefix: `https://127.0.0.1:${await freePort()}` })
    const key = documentKey({ schoolId: SCHOOL, category: 'notice', documentId: randomUUID(), fileName: 'x.pdf' })

    const failure = await down.put(key, Readable.from([Buffer.from('%PDF-1.4')]), { contentType: 'application/pdf', access: 'public' }).catch((error: unknown) => error)

    expect(failure).toBeInstanceOf(ProviderUnavailableError)
    expect((failure as ProviderUnavailableError).provider).toBe('cloudinary')
  })

  async function fetchThrough(url: string): Promise<Buffer[]> {
    const { get } = await import('node:https')
    return new Promise((resolve, reject) => {
      get(url, { agent: fake.agent }, (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => (response.statusCode === 200 ? resolve(chunks) : reject(new Error(`status ${response.statusCode}`))))
      }).on('error', reject)
    })
  }
})
