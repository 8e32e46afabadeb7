import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { BackupFormat } from '../domain/backup'
import { libpqEnvironment, runTool } from './postgres-tools'
import { DigestStream } from './stream-digest'

export interface FeedToolOptions {
  format: BackupFormat
  body: Readable
  env: { serverUrl: string; database: string }
  signal?: AbortSignal
  onProgress?: (bytesRead: number) => void
}

export interface FedBackup {
  sha256: string
  bytes: number
  /** pg_restore's error output, to classify; empty for psql, which stops on the first error. */
  stderr: string
}

/**
 * Streams a backup into the restore tool of its format without a temporary file: pg_restore
 * for custom-format dumps (its errors are returned for classification) and psql with
 * ON_ERROR_STOP for plain SQL. The bytes are hashed on the way through.
 */
export async function feedTool(options: FeedToolOptions): Promise<FedBackup> {
  const env = libpqEnvironment(options.env.serverUrl, options.env.database)
  const tool =
    options.format === 'custom'
      ? runTool('pg_restore', ['--no-owner', '--no-acl', `--dbname=${options.env.database}`], { env, acceptExitCodes: [1], signal: options.signal })
      : runTool('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1'], { env, signal: options.signal })
  tool.stdout.resume()

  const digest = new DigestStream()
  const progress = setInterval(() => options.onProgress?.(digest.bytes), 2_000)

  try {
    const [fed, exited] = await Promise.allSettled([pipeline(options.body, digest, tool.stdin), tool.done])
    if (exited.status === 'rejected') throw exited.reason
    if (fed.status === 'rejected') {
      throw new Error(`restore tool stopped reading the backup: ${exited.value.trim().split('\n').slice(-2).join(' | ')}`, {
        cause: fed.reason,
      })
    }
    return { sha256: digest.sha256(), bytes: digest.bytes, stderr: exited.value }
  } finally {
    clearInterval(progress)
  }
}
