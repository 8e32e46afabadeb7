import { Context } from '@temporalio/activity'
import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Sql } from '../data/db'
import { judgeMirrorRun, NO_MIRROR_COUNTS, type MirrorCounts, type MirrorRunStatus } from '../domain/mirror'
import type { ObjectStore, StoredObject } from '../storage/object-store'
import { nonRetryable } from './failures'
import { listBatch, listPagesInRanges } from './mirror-listing'

export interface MirrorDependencies {
  catalog: Sql
  primary: ObjectStore
  /** The secondary store; null when MIRROR_PROVIDER is off, which fails runs without retrying. */
  mirror: ObjectStore | null
  /** Objects copied at once within a batch. */
  parallelism: number
  /** Catalogued keys per listed range; default 1,000, one S3 request. */
  keysPerRange?: number
}

const ATTEMPTS_PER_OBJECT = 3
// Catalogued keys per listed range, so that a range of an unchanged bucket is one request.
const DEFAULT_KEYS_PER_RANGE = 1_000
// Differing keys a verification returns, so its result stays small.
const MAX_EXAMPLES = 20

/** Result of one verification batch. */
export interface MirrorVerifyBatch {
  checked: number
  missing: number
  differing: number
  /** Up to 20 keys with what is wrong with them. */
  examples: string[]
  lastKey: string | null
  done: boolean
}

interface MirroredRow {
  key: string
  sha256: string
  size_bytes: string
  source_modified_at: Date
  source_etag: string | null
}

export interface MirrorBatchInput {
  startAfter: string | null
  /** Objects a batch may read or copy. */
  batchSize: number
  /** Objects a batch may list; default and minimum `batchSize`. */
  scanLimit?: number
}

export interface MirrorBatchResult {
  counts: MirrorCounts
  /** The last key the batch mirrored or skipped, after which the next batch lists. */
  lastKey: string | null
  /** True when the listing ended within this batch. */
  done: boolean
}

/**
 * Returns false when the object's size, modification time and listed ETag match its last
 * copy, so it is skipped unread. S3 lists times in whole seconds, so a rewrite of the same
 * size within that second differs only in its ETag.
 */
function mayHaveChanged(object: StoredObject, last: MirroredRow | undefined): boolean {
  if (!last || Number(last.size_bytes) !== object.sizeBytes || last.source_modified_at.getTime() !== object.modifiedAt.getTime()) return true
  return object.etag !== undefined && object.etag !== last.source_etag
}

/**
 * Returns the first objects of a page that stay within both limits: at most `reads` objects
 * that may have changed, and at most `scanned` objects in all.
 */
function takeWithinLimits(page: StoredObject[], mirrored: Map<string, MirroredRow>, limits: { reads: number; scanned: number }): StoredObject[] {
  let reads = 0
  let end = 0
  while (end < page.length && end < limits.scanned) {
    const changed = mayHaveChanged(page[end]!, mirrored.get(page[end]!.key))
    if (changed && reads === limits.reads) break
    if (changed) reads++
    end++
  }
  return page.slice(0, end)
}

async function hashOf(store: ObjectStore, key: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of await store.get(key)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Streams one object from one store into another and returns the SHA-256 of what was copied. */
async function copyBetween(from: ObjectStore, to: ObjectStore, key: string): Promise<string> {
  const hash = createHash('sha256')
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk)
      done(null, chunk)
    },
  })
  const source = await from.get(key)
  try {
    await Promise.all([pipeline(source, hashing), to.put(key, hashing)])
  } catch (error) {
    source.destroy()
    hashing.destroy()
    throw error
  }
  return hash.digest('hex')
}

export function createMirrorActivities(options: MirrorDependencies) {
  const mirrorStore = options.mirror
  const deps = { ...options, mirror: mirrorStore as ObjectStore }

  /**
   * Walks the primary listing after `startAfter` and brings the mirror up to date for each
   * object. An object whose size and modification time match the last copy is skipped unread.
   * Skipping is all a batch of an unchanged bucket does, so a batch lists up to `scanLimit`
   * objects (default `batchSize`) but reads or copies at most `batchSize` of them. An object of
   * another size than its last copy is copied. One of the same size is hashed first and copied
   * only when its SHA-256 differs, so a bucket whose timestamps all changed is read once but not
   * copied again. The mirror is never deleted from here. A retried batch starts over and skips
   * what it copied.
   */
  async function mirrorBatch(input: MirrorBatchInput): Promise<MirrorBatchResult> {
    if (!mirrorStore) throw nonRetryable('MirrorNotConfigured', 'the mirror is off (MIRROR_PROVIDER=off); set MIRROR_PROVIDER to local or s3')
    const scanLimit = Math.max(input.scanLimit ?? input.batchSize, input.batchSize)
    const counts: MirrorCounts = { ...NO_MIRROR_COUNTS }
    let lastKey = input.startAfter
    let reads = 0

    const boundaries = deps.primary.listsInRequests ? await rangeBoundaries(input.startAfter, scanLimit) : []
    for await (const page of listPagesInRanges(deps.primary, input.startAfter, boundaries, scanLimit)) {
      const mirrored = await readCatalog(page)
      const selected = takeWithinLimits(page, mirrored, { reads: input.batchSize - reads, scanned: scanLimit - counts.scanned })
      reads += selected.filter((object) => mayHaveChanged(object, mirrored.get(object.key))).length
      await mirrorObjects(selected, mirrored, counts)
      counts.scanned += selected.length
      lastKey = selected.at(-1)?.key ?? lastKey
      Context.current().heartbeat({ startAfter: input.startAfter, lastKey, ...counts })
      if (selected.length < page.length || reads >= input.batchSize || counts.scanned >= scanLimit) return { counts, lastKey, done: false }
    }
    return { counts, lastKey, done: true }
  }

  /**
   * Returns every 1,000th key (`keysPerRange`) in the catalog after `startAfter`, within the next `limit`
   * keys, in byte order as stores list them. The listing splits there into ranges it lists
   * side by side, since the keys mirrored last time are the best guess at what is there now.
   */
  async function rangeBoundaries(startAfter: string | null, limit: number): Promise<string[]> {
    const rows = await deps.catalog<{ key: string }[]>`
      SELECT key FROM (
        SELECT key, row_number() OVER (ORDER BY key COLLATE "C") AS position
        FROM (SELECT key FROM mirror_object WHERE key COLLATE "C" > ${startAfter ?? ''} ORDER BY key COLLATE "C" LIMIT ${limit}) known
      ) numbered
      WHERE position % ${deps.keysPerRange ?? DEFAULT_KEYS_PER_RANGE} = 0
      ORDER BY position`
    return rows.map((row) => row.key)
  }

  async function readCatalog(page: StoredObject[]): Promise<Map<string, MirroredRow>> {
    const keys = page.map((object) => object.key)
    const rows = await deps.catalog<MirroredRow[]>`SELECT key, sha256, size_bytes, source_modified_at, source_etag FROM mirror_object WHERE key IN ${deps.catalog(keys)}`
    return new Map(rows.map((row) => [row.key, row]))
  }

  /** Mirrors the objects with up to `parallelism` at a time, adding the outcomes to `counts`. */
  async function mirrorObjects(objects: StoredObject[], mirrored: Map<string, MirroredRow>, counts: MirrorCounts): Promise<void> {
    const changed = objects.filter((object) => mayHaveChanged(object, mirrored.get(object.key)))
    counts.skipped += objects.length - changed.length
    let next = 0

    const worker = async () => {
      while (next < changed.length) {
        const object = changed[next++]!
        const outcome = await mirrorObjectWithRetries(object, mirrored.get(object.key))
        if (outcome === 'failed') counts.failed++
        else if (outcome === 'skipped') counts.skipped++
        else {
          counts.copied++
          counts.bytesMoved += object.sizeBytes
        }
        Context.current().heartbeat({ key: object.key, ...counts })
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, deps.parallelism) }, worker))
  }

  async function mirrorObjectWithRetries(object: StoredObject, last: MirroredRow | undefined): Promise<'copied' | 'skipped' | 'failed'> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await mirrorObject(object, last)
      } catch (error) {
        Context.current().log.warn('mirror copy failed', { key: object.key, attempt, error: (error as Error).message })
        if (attempt === ATTEMPTS_PER_OBJECT) return 'failed'
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt))
      }
    }
  }

  async function mirrorObject(object: StoredObject, last: MirroredRow | undefined): Promise<'copied' | 'skipped'> {
    // Only an object of the same size can still have the same content.
    if (last && Number(last.size_bytes) === object.sizeBytes && (await hashOf(deps.primary, object.key)) === last.sha256) {
      await deps.catalog`UPDATE mirror_object SET source_modified_at = ${object.modifiedAt}, source_etag = ${object.etag ?? null} WHERE key = ${object.key}`
      return 'skipped'
    }

    const sha256 = await copyBetween(deps.primary, deps.mirror, object.key)
    await deps.catalog`
      INSERT INTO mirror_object (key, sha256, size_bytes, source_modified_at, source_etag, mirrored_at)
      VALUES (${object.key}, ${sha256}, ${object.sizeBytes}, ${object.modifiedAt}, ${object.etag ?? null}, now())
      ON CONFLICT (key) DO UPDATE
        SET sha256 = EXCLUDED.sha256, size_bytes = EXCLUDED.size_bytes, source_modified_at = EXCLUDED.source_modified_at,
            source_etag = EXCLUDED.source_etag, mirrored_at = EXCLUDED.mirrored_at`
    return 'copied'
  }

  /**
   * Records a finished run once (a retry finds the row and returns the same verdict) and
   * judges it against the last good run's listing size.
   */
  async function finishMirrorRun(input: { runId: string; workflowId: string; startedAt: string; counts: MirrorCounts }): Promise<{ status: MirrorRunStatus; note: string | null }> {
    const [existing] = await deps.catalog<{ status: MirrorRunStatus; note: string | null }[]>`SELECT status, note FROM mirror_run WHERE run_id = ${input.runId}`
    if (existing) return existing

    const [lastGood] = await deps.catalog<{ scanned: number }[]>`SELECT scanned FROM mirror_run WHERE status = 'good' ORDER BY ended_at DESC LIMIT 1`
    const verdict = judgeMirrorRun(input.counts, lastGood?.scanned ?? null)
    const { counts } = input
    await deps.catalog`
      INSERT INTO mirror_run (run_id, workflow_id, status, started_at, ended_at, scanned, copied, skipped, failed, bytes_moved, note)
      VALUES (${input.runId}, ${input.workflowId}, ${verdict.status}, ${input.startedAt}, now(), ${counts.scanned}, ${counts.copied},
              ${counts.skipped}, ${counts.failed}, ${counts.bytesMoved}, ${verdict.note})
      ON CONFLICT (run_id) DO NOTHING`
    const log = Context.current().log
    if (verdict.status === 'good') log.info('mirror run finished', { runId: input.runId, ...counts })
    else log.error('mirror run not good', { runId: input.runId, status: verdict.status, note: verdict.note, ...counts })
    return verdict
  }


  /**
   * Compares a batch of the primary with the mirror by SHA-256, reading both copies, and
   * returns the counts and the first differing keys. A bad copy is forgotten in the catalog,
   * so the next mirror run replaces it.
   */
  async function verifyMirrorBatch(input: { startAfter: string | null; batchSize: number }): Promise<MirrorVerifyBatch> {
    if (!mirrorStore) throw nonRetryable('MirrorNotConfigured', 'the mirror is off (MIRROR_PROVIDER=off); set MIRROR_PROVIDER to local or s3')
    const batch = await listBatch(deps.primary, input.startAfter, input.batchSize)
    const result: MirrorVerifyBatch = { checked: 0, missing: 0, differing: 0, examples: [], lastKey: batch.at(-1)?.key ?? input.startAfter, done: batch.length < input.batchSize }

    for (const object of batch) {
      result.checked++
      const copy = await deps.mirror.stat(object.key)
      const problem = copy === null ? 'missing' : (await hashOf(deps.primary, object.key)) !== (await hashOf(deps.mirror, object.key)) ? 'differs' : null
      if (problem === 'missing') result.missing++
      if (problem === 'differs') result.differing++
      if (problem && result.examples.length < MAX_EXAMPLES) result.examples.push(`${object.key}: ${problem}`)
      // Forgetting the copy makes the next mirror run copy the object again.
      if (problem) await deps.catalog`DELETE FROM mirror_object WHERE key = ${object.key}`
      Context.current().heartbeat({ startAfter: input.startAfter, checked: result.checked })
    }
    return result
  }

  /**
   * Copies a batch of mirror objects back into primary storage where the primary lacks them,
   * after the primary was lost. Objects the primary still has are left alone.
   */
  async function restoreFromMirrorBatch(input: { startAfter: string | null; batchSize: number }): Promise<{ restored: number; bytes: number; lastKey: string | null; done: boolean }> {
    if (!mirrorStore) throw nonRetryable('MirrorNotConfigured', 'the mirror is off (MIRROR_PROVIDER=off); set MIRROR_PROVIDER to local or s3')
    const batch = await listBatch(deps.mirror, input.startAfter, input.batchSize)
    let restored = 0
    let bytes = 0

    for (const object of batch) {
      if ((await deps.primary.stat(object.key)) !== null) continue
      await copyBetween(deps.mirror, deps.primary, object.key)
      restored++
      bytes += object.sizeBytes
      Context.current().heartbeat({ startAfter: input.startAfter, restored })
    }
    return { restored, bytes, lastKey: batch.at(-1)?.key ?? input.startAfter, done: batch.length < input.batchSize }
  }

  return { mirrorBatch, finishMirrorRun, verifyMirrorBatch, restoreFromMirrorBatch }
}

export type MirrorActivities = ReturnType<typeof createMirrorActivities>
