/**
 * Creates the private bucket (S3_*) and the mirror bucket (MIRROR_S3_*) when they are missing,
 * waiting up to a minute for each store to accept connections. The compose stack runs it once before the
 * API and the worker start; running it again changes nothing.
 */
import { BucketAlreadyExists, BucketAlreadyOwnedByYou, CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { z } from 'zod'
import { createLogger } from '../observability/logger'

const WAIT_FOR_STORE_MS = 60_000
const RETRY_PAUSE_MS = 1_000

const storeSchema = (prefix: 'S3' | 'MIRROR_S3') =>
  z.object({
    [`${prefix}_ENDPOINT`]: z.url(),
    [`${prefix}_BUCKET`]: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
    [`${prefix}_ACCESS_KEY_ID`]: z.string().min(1),
    [`${prefix}_SECRET_ACCESS_KEY`]: z.string().min(1),
  })

interface BucketTarget {
  name: string
  endpoint: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
}

/** Reads both stores from the environment, or throws naming every missing or invalid variable. */
export function bucketTargets(env: Record<string, string | undefined>): BucketTarget[] {
  return (['S3', 'MIRROR_S3'] as const).map((prefix) => {
    const result = storeSchema(prefix).safeParse(env)
    if (!result.success) {
      const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      throw new Error(`invalid bucket settings:\n  ${problems.join('\n  ')}`)
    }
    const values = result.data as Record<string, string>
    return {
      name: prefix === 'S3' ? 'private' : 'mirror',
      endpoint: values[`${prefix}_ENDPOINT`]!,
      bucket: values[`${prefix}_BUCKET`]!,
      accessKeyId: values[`${prefix}_ACCESS_KEY_ID`]!,
      secretAccessKey: values[`${prefix}_SECRET_ACCESS_KEY`]!,
    }
  })
}

/** Creates the bucket unless it exists, and returns whether it created it. */
async function ensureBucket(target: BucketTarget, region: string): Promise<boolean> {
  const client = new S3Client({
    endpoint: target.endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  const deadline = Date.now() + WAIT_FOR_STORE_MS

  try {
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
  } finally {
    client.destroy()
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ECONNRESET'
}

const logger = createLogger({ level: 'info', name: 'create-buckets' })
for (const target of bucketTargets(process.env)) {
  const created = await ensureBucket(target, process.env.S3_REGION ?? 'us-east-1')
  logger.info({ store: target.name, bucket: target.bucket, endpoint: target.endpoint }, created ? 'bucket created' : 'bucket exists')
}
