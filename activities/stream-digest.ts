import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

export interface DigestStreamOptions {
  /**
   * The stream ends only after this settles, and errors if it rejects. Pass the exit of the
   * process producing the bytes, so a consumer never takes a truncated stream as complete.
   */
  settledBy?: Promise<unknown>
}

/** Passes bytes through unchanged while computing their SHA-256 and counting them. */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256')
  private readonly settledBy: Promise<unknown> | undefined
  private digest: string | undefined
  bytes = 0

  constructor(options: DigestStreamOptions = {}) {
    super()
    this.settledBy = options.settledBy
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    if (!this.settledBy) return callback()
    this.settledBy.then(
      () => callback(),
      (error: Error) => callback(error),
    )
  }

  /** The hex digest of every byte that passed; valid once the stream has finished. */
  sha256(): string {
    this.digest ??= this.hash.digest('hex')
    return this.digest
  }
}
