import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type ListObjectsV2CommandInput,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { Readable } from 'node:stream'
import { contentDisposition } from './disposition'
import { listErrorOf, parseListPage, S3ListError, type ListPage } from './s3-listing'
import {
  assertValidKey,
  ObjectNotFoundError,
  ProviderUnavailableError,
  type ObjectStore,
  type ListOptions,
  type PutOptions,
  type SignedUrlOptions,
  type StoredObject,
} from './object-store'

export interface S3StoreOptions {
  /** The endpoint this service reaches, for example `http://127.0.0.1:7070`. */
  endpoint: string
  /** The endpoint people's browsers reach, which signed URLs must name; default `endpoint`. */
  publicEndpoint?: string
  region: string
  bucket: string
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. */
  forcePathStyle: boolean
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** Multipart part size in bytes; lib-storage holds up to two parts in memory per upload. */
  partSizeBytes?: number
  /** How long to wait for a connection before calling the server unreachable; default 5 s. */
  connectTimeoutMs?: number
}

const PROVIDER = 's3'
// A list request's signature outlives any retry of it; the request itself may take a minute.
const LIST_URL_SECONDS = 300
const LIST_TIMEOUT_MS = 60_000
const LIST_ATTEMPTS = 2

/**
 * Stores objects in one bucket of an S3-compatible service. Writes use multipart upload, so
 * an object appears only when the whole body arrived, and a failed write aborts its parts.
 */
export class S3ObjectStore implements ObjectStore {
  readonly provider = PROVIDER
  readonly listsInRequests = true
  private readonly client: S3Client
  private readonly signer: S3Client
  private readonly bucket: string
  private readonly partSize: number

  constructor(options: S3StoreOptions) {
    const common = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      // Many S3-compatible servers reject the CRC32 checksums the SDK sends by default.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      requestHandler: { connectionTimeout: options.connectTimeoutMs ?? 5_000 },
    } as const
    this.client = new S3Client({ ...common, endpoint: options.endpoint })
    this.signer = new S3Client({ ...common, endpoint: options.publicEndpoint ?? options.endpoint })
    this.bucket = options.bucket
    this.partSize = options.partSizeBytes ?? 5 * 1024 * 1024
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<void> {
    assertValidKey(key)
    let bodyError: unknown = null
    body.once('error', (error) => (bodyError = error))
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: options.contentType, ...(await this.lockParameters(options.retainUntil)) },
      partSize: this.partSize,
      queueSize: 2,
      leavePartsOnError: false,
    })

    try {
      await upload.done()
    } catch (error) {
      // A failing body (a client gone mid-upload, a size limit) is the caller's error, not S3's.
      if (bodyError) throw bodyError
      throw this.unavailable(error)
    }
  }

  /**
   * Returns the object-lock headers of a write, or none when no date is given or the bucket
   * has no object lock. The bucket's setting is read once, on the first write that needs it.
   */
  private async lockParameters(retainUntil: Date | undefined): Promise<{ ObjectLockMode?: 'COMPLIANCE'; ObjectLockRetainUntilDate?: Date }> {
    if (!retainUntil) return {}
    this.lockEnabled ??= this.readLockEnabled().catch((error: unknown) => {
      this.lockEnabled = null
      throw error
    })
    return (await this.lockEnabled) ? { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: retainUntil } : {}
  }

  private lockEnabled: Promise<boolean> | null = null

  private async readLockEnabled(): Promise<boolean> {
    try {
      const output = await this.client.send(new GetObjectLockConfigurationCommand({ Bucket: this.bucket }))
      return output.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled'
    } catch (error) {
      if ((error as Error).name === 'ObjectLockConfigurationNotFoundError') return false
      throw this.unavailable(error)
    }
  }

  async get(key: string): Promise<Readable> {
    assertValidKey(key)
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))
      return output.Body as Readable
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key)
      throw this.unavailable(error)
    }
  }

  async stat(key: string): Promise<StoredObject | null> {
    assertValidKey(key)
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      return { key, sizeBytes: output.ContentLength ?? 0, modifiedAt: output.LastModified ?? new Date(0) }
    } catch (error) {
      if (isNotFound(error)) return null
      throw this.unavailable(error)
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<StoredObject> {
    let token: string | undefined
    do {
      // S3 applies StartAfter to the first page; the continuation token carries it on.
      const request = { Bucket: this.bucket, Prefix: prefix, ContinuationToken: token, StartAfter: token ? undefined : options.startAfter, MaxKeys: options.pageSize }
      const page = await this.listPage(request)
      yield* page.objects
      token = page.nextToken
    } while (token)
  }

  /**
   * Sends one list request, signed by the SDK, and reads its XML with parseListPage instead of
   * the SDK's reader, which costs far more CPU per key. Like the SDK client, it tries twice
   * unless the server rejected the request.
   */
  private async listPage(request: ListObjectsV2CommandInput): Promise<ListPage> {
    for (let attempt = 1; ; attempt++) {
      try {
        const url = await getSignedUrl(this.client, new ListObjectsV2Command(request), { expiresIn: LIST_URL_SECONDS })
        const response = await fetch(url, { signal: AbortSignal.timeout(LIST_TIMEOUT_MS) })
        const body = await response.text()
        if (!response.ok) throw listErrorOf(response.status, body)
        return parseListPage(body)
      } catch (error) {
        const rejected = error instanceof S3ListError && error.status < 500
        if (rejected || attempt === LIST_ATTEMPTS) throw this.unavailable(error)
      }
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key)
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
    } catch (error) {
      throw this.unavailable(error)
    }
  }

  /** Presigns a GET with SigV4 against the public endpoint; the server checks expiry and signature. */
  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    assertValidKey(key)
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentType: options.contentType,
      ResponseContentDisposition: options.fileName ? contentDisposition(options.fileName) : undefined,
    })
    return getSignedUrl(this.signer, command, { expiresIn: options.expiresInSeconds })
  }

  private unavailable(error: unknown): ProviderUnavailableError {
    return new ProviderUnavailableError(PROVIDER, { cause: error })
  }
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404
}
