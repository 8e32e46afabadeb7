/**
 * Times the steps of our backup and restore one at a time, using the same helpers the
 * activities use, so a gap between our activity and the bare tool can be attributed. The
 * activities themselves are not changed or wrapped.
 */
import { createReadStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { dropDatabase, recreateDatabase } from '../activities/databases'
import { captureTool, libpqEnvironment, runTool } from '../activities/postgres-tools'
import { countTableRows } from '../activities/row-counts'
import { DigestStream } from '../activities/stream-digest'
import { connectDatabase, withDatabase } from '../data/db'
import { LocalObjectStore } from '../storage/local'

export interface BackupPhases {
  /** countTableRows over the source in a REPEATABLE READ transaction, with no dump running. */
  countRowsMs: number
  /** pg_dump --format=custom through DigestStream into LocalObjectStore.put, with no row counts. */
  dumpThroughNodeMs: number
  /** SHA-256 of the stored dump read back from the file, which is in the page cache by then. */
  hashDumpMs: number
  wallMs: number
}

export async function profileBackup(input: {
  serverUrl: string
  sourceDatabase: string
  storeDir: string
}): Promise<BackupPhases> {
  const started = performance.now()
  const storage = new LocalObjectStore(input.storeDir)
  const key = 'profile/backup.dump'

  const countRowsMs = await timed(async () => {
    const source = connectDatabase(withDatabase(input.serverUrl, input.sourceDatabase), { max: 1 })
    try {
      await source.begin('isolation level repeatable read read only', (tx) => countTableRows(tx))
    } finally {
      await source.end()
    }
  })

  const dumpThroughNodeMs = await timed(async () => {
    const dump = runTool('pg_dump', ['--format=custom'], {
      env: libpqEnvironment(input.serverUrl, input.sourceDatabase),
    })
    dump.stdin.end()
    const digest = new DigestStream({ settledBy: dump.done })
    dump.stdout.pipe(digest)
    await Promise.all([storage.put(key, digest), dump.done])
  })

  const hashDumpMs = await timed(async () => {
    await pipeline(await storage.get(key), new DigestStream(), discard())
  })

  await storage.delete(key)
  return { countRowsMs, dumpThroughNodeMs, hashDumpMs, wallMs: performance.now() - started }
}

export interface RestorePhases {
  /** Hashing the stored object's pinned file in place, as the restore does with a local store. */
  downloadMs: number
  /** `pg_restore --list`, which the restore runs to estimate progress. */
  listMs: number
  /** DROP DATABASE IF EXISTS and CREATE DATABASE of an empty target. */
  recreateDatabaseMs: number
  /** countTableRows on a database that pg_restore has just filled and nothing has read yet. */
  countFreshRowsMs: number
  /** The same count again, once the first count has set the hint bits. */
  countRowsAgainMs: number
  wallMs: number
}

export async function profileRestore(input: {
  serverUrl: string
  storeDir: string
  objectKey: string
  freshlyRestoredDatabase: string
  scratchDatabase: string
}): Promise<RestorePhases> {
  const started = performance.now()
  const storage = new LocalObjectStore(input.storeDir)
  let file: string | null = null
  const admin = connectDatabase(withDatabase(input.serverUrl, 'postgres'), { max: 1 })
  const restored = connectDatabase(withDatabase(input.serverUrl, input.freshlyRestoredDatabase), { max: 1 })

  try {
    const pinned = await storage.pinFile(input.objectKey)
    file = pinned
    const downloadMs = await timed(() => pipeline(createReadStream(pinned), new DigestStream(), discard()))
    const listMs = await timed(() =>
      captureTool('pg_restore', ['--list', pinned], libpqEnvironment(input.serverUrl)),
    )
    const recreateDatabaseMs = await timed(() => recreateDatabase(admin, input.scratchDatabase))
    const countFreshRowsMs = await timed(() => countTableRows(restored))
    const countRowsAgainMs = await timed(() => countTableRows(restored))

    return {
      downloadMs,
      listMs,
      recreateDatabaseMs,
      countFreshRowsMs,
      countRowsAgainMs,
      wallMs: performance.now() - started,
    }
  } finally {
    await restored.end()
    await dropDatabase(admin, input.scratchDatabase)
    await admin.end()
    if (file) await rm(file, { force: true })
  }
}

async function timed(step: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await step()
  return performance.now() - started
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() })
}
