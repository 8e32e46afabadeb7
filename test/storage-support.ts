import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { inject } from 'vitest'
import { S3ObjectStore } from '../storage/s3'
import { FIXTURES } from './support'

export const DOCUMENT_FIXTURES = join(FIXTURES, 'documents')

/** Reads the real files of test/fixtures/documents, under their awkward names. */
export function documentFixtures(): { name: string; bytes: Buffer }[] {
  return readdirSync(DOCUMENT_FIXTURES)
    .filter((name) => /\.(pdf|jpg)$/.test(name))
    .map((name) => ({ name, bytes: readFileSync(join(DOCUMENT_FIXTURES, name)) }))
}

export function fixture(name: string): Buffer {
  return readFileSync(join(DOCUMENT_FIXTURES, name))
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Creates a bucket of its own on the test run's S3 server and returns its name and settings. */
export async function createTestBucket(): Promise<{ bucket: string; endpoint: string; accessKeyId: string; secretAccessKey: string }> {
  const server = inject('s3')
  const bucket = `test-${randomBytes(6).toString('hex')}`
  const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: server })
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  client.destroy()
  return { bucket, ...server }
}

export function s3StoreFor(bucket: { bucket: string; endpoint: string; accessKeyId: string; secretAccessKey: string }, overrides: Partial<ConstructorParameters<typeof S3ObjectStore>[0]> = {}): S3ObjectStore {
  return new S3ObjectStore({
    endpoint: bucket.endpoint,
    region: 'us-east-1',
    bucket: bucket.bucket,
    forcePathStyle: true,
    credentials: { accessKeyId: bucket.accessKeyId, secretAccessKey: bucket.secretAccessKey },
    ...overrides,
  })
}
