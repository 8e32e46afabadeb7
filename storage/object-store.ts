import type { Readable } from 'node:stream'

/** Metadata of one stored object. */
export interface StoredObject {
  key: string
  sizeBytes: number
  modifiedAt: Date
  /** The entity tag S3 lists; it changes with every write. The local store has none. */
  etag?: string
}

/**
 * A store of objects addressed by slash-separated keys. Bodies stream in and out; no
 * implementation may hold a whole object in memory.
 */
export interface ObjectStore {
  /** Provider name recorded with what is written, for example `local`. */
  readonly provider: string

  /**
   * Writes an object from a stream. The object appears only once the stream ended without
   * error, so readers never see half an object, and writing an existing key replaces it.
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<void>

  /** Opens an object for reading; rejects with ObjectNotFoundError when the key is absent. */
  get(key: string): Promise<Readable>

  /** Returns the object's metadata, or null when the key is absent. */
  stat(key: string): Promise<StoredObject | null>

  /** Lists objects whose key starts with the prefix, in key order (bytes of UTF-8). */
  list(prefix: string, options?: ListOptions): AsyncIterable<StoredObject>

  /**
   * True where a listing is a series of requests, so that listings of several key ranges can
   * run side by side (S3). The local store walks its whole folder for each listing instead.
   */
  readonly listsInRequests?: boolean

  /** Deletes an object; deleting an absent key succeeds. */
  delete(key: string): Promise<void>

  /**
   * Links the object's bytes to a new local file path and returns it, for stores that keep
   * objects as files, so a reader needs no copy. The file keeps those bytes even when the
   * object is replaced or deleted, until the caller deletes it.
   */
  pinFile?(key: string): Promise<string>

  /**
   * Returns a URL that reads the object without other credentials until it expires. Stores
   * without their own signing (the local folder) leave it out; the API signs those links.
   */
  signedUrl?(key: string, options: SignedUrlOptions): Promise<string>
}

/** Options of a listing. */
export interface ListOptions {
  /** Lists only keys after this one, so a long listing can go on where an earlier one ended. */
  startAfter?: string
  /**
   * Maximum keys per request, for a caller that reads only that many. Providers that list in
   * pages (S3, up to 1,000) request no more, and iteration still continues to the next page.
   */
  pageSize?: number
}

/** Options of a write. */
export interface PutOptions {
  /** Content type stored with the object, where the provider keeps one. */
  contentType?: string
  /**
   * End of an object-lock retention in compliance mode, on stores whose bucket has object
   * lock enabled: until then no credential can delete that version. Other stores ignore it.
   */
  retainUntil?: Date
}

/** Options of a signed download link. */
export interface SignedUrlOptions {
  /** Lifetime in seconds; callers cap it with `signedUrlSeconds`. */
  expiresInSeconds: number
  /** File name the browser saves the download as. */
  fileName?: string
  contentType?: string
}

/** Thrown when a storage provider cannot be reached or fails, which the API turns into a 503. */
export class ProviderUnavailableError extends Error {
  constructor(readonly provider: string, options: { cause: unknown }) {
    super(`storage provider ${provider} is unavailable: ${(options.cause as Error)?.message ?? String(options.cause)}`, options)
    this.name = 'ProviderUnavailableError'
  }
}

/** Thrown when an object that was asked for does not exist. */
export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object not found: ${key}`)
    this.name = 'ObjectNotFoundError'
  }
}

/** Thrown when a key could escape the store's root or is otherwise malformed. */
export class InvalidObjectKeyError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`invalid object key "${key}": ${reason}`)
    this.name = 'InvalidObjectKeyError'
  }
}

/** Rejects keys that are empty, absolute, or contain `.`/`..` segments or backslashes. */
export function assertValidKey(key: string): void {
  if (key.length === 0 || key.length > 1024) throw new InvalidObjectKeyError(key, 'length must be 1 to 1024')
  if (key.startsWith('/') || key.endsWith('/')) throw new InvalidObjectKeyError(key, 'must not start or end with /')
  if (key.includes('\\') || key.includes('\0')) throw new InvalidObjectKeyError(key, 'contains \\ or a NUL byte')
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new InvalidObjectKeyError(key, 'contains an empty, . or .. segment')
  }
}
