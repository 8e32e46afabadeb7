import busboy from 'busboy'
import { fileTypeFromBuffer } from 'file-type'
import { createHash } from 'node:crypto'
import { Readable, Transform } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { ValidationError } from './errors'

/** A multipart upload read up to its file part; the file streams on from there. */
export interface IncomingUpload {
  /** The form fields sent before the file part. */
  fields: Record<string, string>
  fileName: string
  file: Readable
}

/** Thrown when an upload's file is larger than the limit, which the API turns into a 413. */
export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`file: is larger than the limit of ${maxBytes} bytes`)
    this.name = 'FileTooLargeError'
  }
}

// Room for the form fields and part headers around the file in a multipart body.
const FORM_OVERHEAD_BYTES = 64 * 1024

/**
 * Parses a multipart/form-data request until its part named `file`, which must come after
 * the other fields. Nothing is buffered beyond busboy's own small window.
 */
export function receiveUpload(request: Request, maxBytes: number): Promise<IncomingUpload> {
  const contentType = request.headers.get('content-type') ?? ''
  if (!contentType.startsWith('multipart/form-data')) throw new ValidationError({ body: 'must be multipart/form-data with a part named file' })
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (declared > maxBytes + FORM_OVERHEAD_BYTES) throw new FileTooLargeError(maxBytes)
  if (!request.body) throw new ValidationError({ file: 'is missing' })

  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {}
    // One byte over the limit lets the size meter see that the limit was passed.
    const parser = busboy({ headers: { 'content-type': contentType }, defParamCharset: 'utf8', preservePath: true, limits: { files: 1, fields: 20, fieldSize: 4096, fileSize: maxBytes + 1 } })

    parser.on('field', (name, value) => (fields[name] = value))
    parser.on('file', (name, file, info) => {
      if (name !== 'file') {
        file.resume()
        reject(new ValidationError({ [name]: 'is not a known file part; send the file as the part named file' }))
        return
      }
      resolve({ fields, fileName: info.filename || 'file', file })
    })
    parser.on('close', () => reject(new ValidationError({ file: 'is missing' })))
    parser.on('error', (error) => reject(new ValidationError({ body: `is not a valid multipart form: ${(error as Error).message}` })))

    Readable.fromWeb(request.body as WebReadableStream<Uint8Array>).on('error', (error) => parser.destroy(error)).pipe(parser)
  })
}

// file-type reads at most this many bytes to recognise a format.
const SNIFF_BYTES = 4100

/**
 * Reads the first bytes of a stream to recognise its content type from its magic numbers,
 * and returns a stream that replays them before the rest. Unknown formats give null.
 */
export async function sniffContentType(source: Readable): Promise<{ contentType: string | null; body: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const head: Buffer[] = []
  let headBytes = 0
  let ended = false

  while (headBytes < SNIFF_BYTES) {
    const next = await iterator.next()
    if (next.done) {
      ended = true
      break
    }
    head.push(next.value)
    headBytes += next.value.length
  }

  const first = Buffer.concat(head)
  const detected = await fileTypeFromBuffer(first)
  async function* replay() {
    yield first
    while (!ended) {
      const next = await iterator.next()
      if (next.done) return
      yield next.value
    }
  }
  return { contentType: detected?.mime ?? null, body: Readable.from(replay(), { objectMode: false }) }
}

/** Counts and hashes what passes through; fails with FileTooLargeError past `maxBytes`. */
export class UploadMeter extends Transform {
  sizeBytes = 0
  private readonly hash = createHash('sha256')

  constructor(private readonly maxBytes: number) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.sizeBytes += chunk.length
    if (this.sizeBytes > this.maxBytes) return done(new FileTooLargeError(this.maxBytes))
    this.hash.update(chunk)
    done(null, chunk)
  }

  /** Returns the SHA-256 of every byte that passed, in hex; call it once the stream ended. */
  sha256(): string {
    return this.hash.digest('hex')
  }
}

/**
 * Pipes the source through the transform, passing the source's errors on to it. The reader of
 * the transform gets those errors through its own pipeline, even when it attaches after them
 * (a store that creates a folder first), so the transform's own listener only keeps an early
 * error from being an uncaught exception.
 */
export function pipeInto<T extends Transform>(source: Readable, transform: T): T {
  source.once('error', (error) => transform.destroy(error))
  transform.on('error', () => undefined)
  return source.pipe(transform)
}
