import { createHash } from 'node:crypto'
import type { createApp } from '../api/app'
import type { Config } from '../config'
import { CloudinaryMediaStore } from '../storage/cloudinary'
import { DocumentStorage } from '../storage/document-storage'
import { LocalObjectStore } from '../storage/local'
import { LocalLinkSigner } from '../storage/local-links'
import type { S3ObjectStore } from '../storage/s3'
import type { SeededUser } from './accounts-support'
import type { FakeCloudinary } from './cloudinary-server'

export type Http = ReturnType<typeof createApp>
export type Json = Record<string, unknown>

export const LINK_SECRET = 'local-link-secret-for-tests-0123456789'

/** Builds document storage on the test's own servers; the Cloudinary agent trusts the fake's certificate. */
export function testDocumentStorage(options: { config: Config; fake: FakeCloudinary; s3: S3ObjectStore | null; localRoot: string }): DocumentStorage {
  return new DocumentStorage({
    local: new LocalObjectStore(options.localRoot),
    s3: options.s3,
    cloudinary: new CloudinaryMediaStore({ ...options.config.storage.cloudinary!, agent: options.fake.agent }),
    localLinks: new LocalLinkSigner(LINK_SECRET, options.config.api.publicUrl),
    signedUrlMinutes: options.config.storage.signedUrlMinutes,
    credentialsExpireAt: null,
  })
}

/** Environment of a school-ops API whose Cloudinary is the fake and whose S3 is the test bucket. */
export function storageEnvironment(fake: FakeCloudinary, bucket: { bucket: string; endpoint: string; accessKeyId: string; secretAccessKey: string }): Record<string, string> {
  return {
    CLOUDINARY_CLOUD_NAME: fake.cloudName,
    CLOUDINARY_API_KEY: fake.apiKey,
    CLOUDINARY_API_SECRET: fake.apiSecret,
    CLOUDINARY_UPLOAD_PREFIX: fake.origin,
    CLOUDINARY_DELIVERY_HOST: fake.host,
    S3_ENDPOINT: bucket.endpoint,
    S3_BUCKET: bucket.bucket,
    S3_ACCESS_KEY_ID: bucket.accessKeyId,
    S3_SECRET_ACCESS_KEY: bucket.secretAccessKey,
    STORAGE_LINK_SECRET: LINK_SECRET,
  }
}

/** Sends a multipart upload: the fields first, then the file part. */
export async function uploadFile(http: Http, user: SeededUser, fields: Record<string, string>, file: { name: string; bytes: Buffer; type?: string }, path = '/api/documents/upload') {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  form.append('file', new File([file.bytes], file.name, { type: file.type ?? 'application/octet-stream' }))
  const response = await http.request(path, { method: path.endsWith('logo') ? 'PUT' : 'POST', headers: user.headers, body: form })
  return { status: response.status, body: (await response.json()) as Json }
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}
