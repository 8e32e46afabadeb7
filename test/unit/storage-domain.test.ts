import { describe, expect, it } from 'vitest'
import { CLASSIFICATION, DOCUMENT_CATEGORIES, destinationOf, PRIVATE_PROVIDERS, STORAGE_PROVIDERS } from '../../domain/documents'
import { documentKey, isInsideFolder, keySegmentOf, MAX_SIGNED_URL_SECONDS, signedUrlSeconds } from '../../domain/storage-keys'
import { testConfig } from '../support'

const SCHOOL = '6f1c2a52-8f0e-4a8e-9d61-0b8f3c7e2a10'
const DOCUMENT = '0b5e7a4c-3d2f-4e1a-8c9b-7a6d5e4f3c2b'

describe('classification table', () => {
  it('never places a private category at Cloudinary', () => {
    for (const category of DOCUMENT_CATEGORIES) {
      for (const selected of STORAGE_PROVIDERS) {
        for (const privateProvider of PRIVATE_PROVIDERS) {
          const destination = destinationOf(category, selected, privateProvider)
          if (CLASSIFICATION[category].tier === 'private') expect(destination.provider, `${category} with ${selected}`).not.toBe('cloudinary')
        }
      }
    }
  })

  it('follows the customer table with Cloudinary selected', () => {
    const placed = Object.fromEntries(DOCUMENT_CATEGORIES.map((category) => [category, destinationOf(category, 'cloudinary', 's3')]))

    expect(placed.branding).toMatchObject({ provider: 'cloudinary', access: 'public' })
    expect(placed['student-photo']).toMatchObject({ provider: 'cloudinary', access: 'restricted' })
    expect(placed['staff-photo']).toMatchObject({ provider: 'cloudinary', access: 'restricted' })
    expect(placed.certificate).toMatchObject({ provider: 'cloudinary', access: 'public' })
    expect(placed.notice).toMatchObject({ provider: 'cloudinary', access: 'public' })
    expect(placed.payroll).toMatchObject({ provider: 's3', access: 'signed-url' })
    expect(placed.financial).toMatchObject({ provider: 's3', access: 'signed-url' })
    expect(placed.sensitive).toMatchObject({ provider: 's3', access: 'signed-url' })
  })

  it('sends every category to the fallback', () => {
    for (const category of DOCUMENT_CATEGORIES) {
      expect(destinationOf(category, 'local', 's3').provider).toBe('local')
      expect(destinationOf(category, 's3', 'local').provider).toBe('s3')
      expect(destinationOf(category, 'local', 's3').access).toBe(CLASSIFICATION[category].access)
    }
  })
})

describe('document keys', () => {
  it.each([
    ['José Ñúñez (staff photo).jpg', 'José Ñúñez (staff photo).jpg'],
    ['report%20final+v2 #1.pdf', 'report_20final+v2 _1.pdf'],
    ['公告 notice 2024–25.pdf', '公告 notice 2024_25.pdf'],
    ['../../etc/passwd', '_.._etc_passwd'],
    ['..', 'file'],
    ['.hidden', 'hidden'],
    ['a/b\\c?d', 'a_b_c_d'],
    ['', 'file'],
  ])('turns %j into one safe segment', (name, expected) => {
    expect(keySegmentOf(name)).toBe(expected)
  })

  it('normalises decomposed letters to NFC', () => {
    expect(keySegmentOf('Jose\u0301.jpg')).toBe('José.jpg'.normalize('NFC'))
  })

  it('stays inside the category folder', () => {
    const key = documentKey({ schoolId: SCHOOL, category: 'payroll', documentId: DOCUMENT, fileName: '../../../backups/db.dump' })

    expect(key).toBe(`documents/${SCHOOL}/payroll/${DOCUMENT}/_.._.._backups_db.dump`)
    expect(isInsideFolder(key, `documents/${SCHOOL}/payroll`)).toBe(true)
  })

  it('rejects ids that are not UUIDs', () => {
    expect(() => documentKey({ schoolId: '../x', category: 'notice', documentId: DOCUMENT, fileName: 'a.pdf' })).toThrow('schoolId must be a UUID')
  })

  it('detects keys outside a folder', () => {
    expect(isInsideFolder('documents/a/../backups/x', 'documents')).toBe(false)
    expect(isInsideFolder('backups/x', 'documents')).toBe(false)
    expect(isInsideFolder('documents', 'documents')).toBe(false)
    expect(isInsideFolder('documents-old/x', 'documents')).toBe(false)
  })
})

describe('signed URL lifetime', () => {
  const now = new Date('2026-12-04T12:00:00Z')

  it('uses the configured minutes', () => {
    expect(signedUrlSeconds({ minutes: 15, now })).toBe(900)
  })

  it('never exceeds seven days', () => {
    expect(signedUrlSeconds({ minutes: 30 * 24 * 60, now })).toBe(MAX_SIGNED_URL_SECONDS)
  })

  it('ends when the credentials expire', () => {
    expect(signedUrlSeconds({ minutes: 60, credentialsExpireAt: new Date('2026-12-04T12:05:00Z'), now })).toBe(300)
  })

  it('rejects expired credentials', () => {
    expect(() => signedUrlSeconds({ minutes: 60, credentialsExpireAt: new Date('2026-12-04T11:00:00Z'), now })).toThrow('expired')
  })

  it('rejects a configured lifetime over seven days', () => {
    expect(() => testConfig({ STORAGE_SIGNED_URL_MINUTES: '10081' })).toThrow('STORAGE_SIGNED_URL_MINUTES')
  })
})

describe('storage configuration', () => {
  it('names the missing S3 variables', () => {
    expect(() => testConfig({ STORAGE_PROVIDER: 's3', S3_BUCKET: 'documents' })).toThrow('S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY')
  })

  it('names the missing Cloudinary variables', () => {
    expect(() => testConfig({ STORAGE_PROVIDER: 'cloudinary' })).toThrow('CLOUDINARY_CLOUD_NAME, CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET')
  })

  it('reads a complete S3 configuration', () => {
    const config = testConfig({ STORAGE_PRIVATE_PROVIDER: 's3', S3_ENDPOINT: 'http://127.0.0.1:7070', S3_BUCKET: 'school-docs', S3_ACCESS_KEY_ID: 'key', S3_SECRET_ACCESS_KEY: 'secret', S3_FORCE_PATH_STYLE: 'false' })

    expect(config.storage.privateProvider).toBe('s3')
    expect(config.storage.s3).toMatchObject({ endpoint: 'http://127.0.0.1:7070', publicEndpoint: 'http://127.0.0.1:7070', bucket: 'school-docs', forcePathStyle: false })
  })
})
