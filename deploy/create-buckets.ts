/**
 * Creates the private bucket (S3_BUCKET) and the mirror bucket (MIRROR_S3_BUCKET) on the S3_*
 * store when they are missing, waiting up to a minute for the store to accept connections.
 * The compose stack runs it once before the API and the worker start, and running it again
 * changes nothing.
 */
import { BucketAlreadyExists, BucketAlreadyOwnedByYou, CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { z } from 'zod'
import { createLogger } from '../observability/logger'

const WAIT_FOR_STORE_MS = 60_000
const RETRY_PAUSE_MS = 1_000

const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')

const storeSchema = z.object({
  S3_ENDPOINT: z.url(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1),
  S3_SECRET_ACCESS_KEY: z.string().min(1),
  S3_BUCKET: bucketName,
  MIRROR_S3_BUCKET: bucketName,
})

interface BucketTarget {
  name: 'private' | 'mirror'
  bucket: string
}

interface StoreSettings {
  endpoint: string
  region: string
  credentials: { accessKeyId: string; secretAccessKey: string }
  targets: BucketTarget[]
}

/** Reads the store and both bucket names, or throws naming every missing or invalid variable. */
export function storeSettings(env: Record<string, string | undefined>): StoreSettings {
  const result = storeSchema.safeParse(env)
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
    throw new Error(`invalid bucket settings:\n  ${problems.join('\n  ')}`)
  }
  const values = result.data
  return {
    endpoint: values.S3_ENDPOINT,
    region: values.S3_REGION,
    credentials: { accessKeyId: values.S3_ACCESS_KEY_ID, secretAccessKey: values.S3_SECRET_ACCESS_KEY },
    targets: [
      { name: 'private', bucket: values.S3_BUCKET },
      { name: 'mirror', bucket: values.MIRROR_S3_BUCKET },
    ],
  }
}

/** Creates the bucket unless it exists, and returns whether it created it. */
async function ensureBucket(client: S3Client, target: BucketTarget, deadline: number): Promise<boolean> {
  for (;;) {
    try {
      await client.send(new CreateBucketCommand({ Bucket: target.bucket }))
      return true
    } catch (error) {
      if (error instanceof BucketAlreadyOwnedByYou || error instanceof BucketAlreadyExists) {
        await client.send(new HeadBucketCommand({ Bucket: target.bucket }))
        return false
      }
      if (!isConnectionError(error) || Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS))
    }
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ECONNRESET'
}

const logger = createLogger({ level: 'info', name: 'create-buckets' })
const settings = storeSettings(process.env)
const client = new S3Client({
  endpoint: settings.endpoint,
  region: settings.region,
  forcePathStyle: true,
  credentials: settings.credentials,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})
const deadline = Date.now() + WAIT_FOR_STORE_MS

try {
  for (const target of settings.targets) {
    const created = await ensureBucket(client, target, deadline)
    logger.info({ purpose: target.name, bucket: target.bucket, endpoint: settings.endpoint }, created ? 'bucket created' : 'bucket exists')
  }
} finally {
  client.destroy()
}
