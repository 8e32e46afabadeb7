import { Context } from '@temporalio/activity'
import { ApplicationFailure } from '@temporalio/common'
import { createReadStream, createWriteStream } from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { compareRowCounts, databaseName, describeMismatches, type BackupManifest } from '../domain/backup'
import { classifyRestoreErrors, type RestoreError } from '../domain/restore'
import { findBackup } from '../data/backup-catalog'
import { connectDatabase, withDatabase, type Sql } from '../data/db'
import { listManifests, readManifest } from '../storage/backup-manifests'
import { InvalidObjectKeyError, ObjectNotFoundError, type ObjectStore } from '../storage/object-store'
import { dropDatabase, isProtectedDatabase, recreateDatabase } from './databases'
import { nonRetryable } from './failures'
import { captureTool, libpqEnvironment, runTool } from './postgres-tools'
import { countRestoredRows } from './row-counts'
import { DigestStream } from './stream-digest'

export interface RestoreActivityDependencies {
  catalog: Sql
  serverUrl: string
  /** Live databases (the application's and every backup source) replaced only when forced. */
  liveDatabases: string[]
  storage: ObjectStore
  /** Parallel jobs for `pg_restore -j`. */
  jobs: number
  now?: () => Date
}

export interface RestoreRequest {
  /** Backup to restore, looked up in the catalog. */
  backupId?: string
  /** Alternatively the manifest's key, for when the catalog itself was lost. */
  manifestKey?: string
  targetDatabase: string
  /** Allows replacing the application database. */
  force: boolean
  /** Template for the new target database, for example one that has the app's extensions. */
  template?: string
}

export interface RestoreResult {
  backupId: string
  targetDatabase: string
  tables: number
  rows: number
  /** Null when every table has the row count of the backup's snapshot. */
  rowCountMismatch: string | null
  /** Errors pg_restore reported that lose no data, such as a schema that already existed. */
  ignoredErrors: RestoreError[]
  backupAgeHours: number
  durationMs: number
}

/** A backup as a local file, with the SHA-256 check that may still have to run on it. */
interface LocalBackupFile {
  path: string
  /** True when the file is the store's own, linked under a pinned name, rather than a download. */
  pinned: boolean
  /** Starts the SHA-256 check on the first call, and returns that same check on every call. */
  verify: () => Promise<void>
}

/**
 * Names the database a restore into `target` fills before it takes the target's place. The
 * name depends only on the target, so a retry drops what a killed attempt left behind.
 */
export function stagingDatabaseName(target: string): string {
  const readable = target.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 36)
  return `${readable}_restoring_${createHash('sha256').update(target).digest('hex').slice(0, 12)}`
}

/**
 * Returns the start of the names that a replaced target is renamed to until it is dropped.
 * Each restore adds a random suffix, so the late drop of one restore's old database cannot
 * hit the one a later restore moved aside. The next restore finds leftovers by this prefix.
 */
export function replacedDatabasePrefix(target: string): string {
  const readable = target.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 30)
  return `${readable}_replaced_${createHash('sha256').update(target).digest('hex').slice(0, 12)}_`
}

/** Prefix of the temporary folders that restores download backups into. */
export const RESTORE_WORK_DIR_PREFIX = 'school-ops-restore-'

/**
 * Creates an empty temporary folder for a restore into a target. Its name depends only on the
 * target, so the next restore into it on this machine, such as the retry of an attempt killed
 * with its worker, removes what that attempt left behind. Two restores into one target at a
 * time would break each other anyway, because each drops and recreates the staging database.
 */
async function freshWorkDir(targetDatabase: string): Promise<string> {
  const suffix = createHash('sha256').update(targetDatabase).digest('hex').slice(0, 16)
  const workDir = join(tmpdir(), `${RESTORE_WORK_DIR_PREFIX}${suffix}`)
  await rm(workDir, { recursive: true, force: true })
  await mkdir(workDir, { recursive: true, mode: 0o700 })
  return workDir
}

/**
 * Removes restore folders older than `maxAgeMs`, which a worker killed mid-restore leaves when
 * the restore is never retried on this machine, and returns how many it removed.
 */
export async function sweepRestoreWorkDirs(maxAgeMs: number, now = Date.now()): Promise<number> {
  let removed = 0
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(RESTORE_WORK_DIR_PREFIX)) continue
    const path = join(tmpdir(), name)
    const info = await stat(path).catch(() => null)
    if (info?.isDirectory() && now - info.mtimeMs > maxAgeMs) {
      await rm(path, { recursive: true, force: true })
      removed++
    }
  }
  return removed
}

/** Creates the restore activity used by the ops CLI and, later, by the DR workflow. */
export function createRestoreActivities(deps: RestoreActivityDependencies) {
  const now = deps.now ?? (() => new Date())

  async function restoreBackup(request: RestoreRequest): Promise<RestoreResult> {
    const started = Date.now()
    checkTarget(request, deps.liveDatabases)
    const targetLock = await lockTarget(deps.serverUrl, request.targetDatabase)
    // Two connections, so the staging database is created while the backup is looked up and checked.
    const admin = connectDatabase(withDatabase(deps.serverUrl, 'postgres'), { max: 2 })
    const staging = stagingDatabaseName(request.targetDatabase)

    try {
      // The backup goes into a staging database, which replaces the target only once the
      // restore and the backup's SHA-256 check both succeeded. So a corrupt backup or a failed
      // restore leaves the target as it was, and the check can run beside pg_restore.
      const { manifest, ignoredErrors, counts } = await fillStaging(request, admin, staging)
      const replaced = await replaceTarget(admin, staging, request.targetDatabase, manifest.backupId)
      const mismatches = compareRowCounts(manifest.tables, counts)

      const result: RestoreResult = {
        backupId: manifest.backupId,
        targetDatabase: request.targetDatabase,
        tables: counts.length,
        rows: counts.reduce((sum, table) => sum + table.rows, 0),
        rowCountMismatch: mismatches.length === 0 ? null : describeMismatches(mismatches),
        ignoredErrors,
        backupAgeHours: (now().getTime() - Date.parse(manifest.dumpedAt)) / 3_600_000,
        durationMs: Date.now() - started,
      }
      Context.current().log.info('backup restored', { ...result, ignoredErrors: ignoredErrors.length })
      if (replaced) dropReplacedLater(replaced)
      return result
    } finally {
      await admin.end().finally(() => targetLock.end())
    }
  }

  /**
   * Creates the staging database while it finds and checks the backup, restores the backup
   * into it and counts its rows. A failure drops the staging database, and the local backup
   * file is removed either way.
   */
  async function fillStaging(request: RestoreRequest, admin: Sql, staging: string) {
    // Creating a database took 50 to 100 ms in the benchmark, the longest step before
    // pg_restore, so it starts first.
    const creating = recreateDatabase(admin, staging, request.template)
    creating.catch(() => undefined)
    const workDir = await freshWorkDir(request.targetDatabase)
    let pinned: string | null = null

    try {
      const manifest = await resolveBackup(request)
      checkSource(manifest, request, deps.liveDatabases)
      await checkReplaceable(admin, request)
      const backupFile = await localBackupFile(manifest, workDir)
      pinned = backupFile.pinned ? backupFile.path : null
      const [itemsTotal] = await Promise.all([listArchiveUnlessCorrupt(manifest, backupFile), creating])
      return { manifest, ...(await restoreAndCount(manifest, backupFile, staging, itemsTotal, admin)) }
    } catch (error) {
      await creating.catch(() => undefined)
      await dropDatabase(admin, staging).catch((dropError: unknown) =>
        Context.current().log.warn('failed to drop the staging database of a failed restore', { staging, error: (dropError as Error).message }),
      )
      throw error
    } finally {
      await rm(workDir, { recursive: true, force: true })
      if (pinned) await rm(pinned, { force: true })
    }
  }

  /** Lists the archive's items; when that fails, a wrong checksum is the error to report. */
  async function listArchiveUnlessCorrupt(manifest: BackupManifest, backupFile: LocalBackupFile): Promise<number> {
    try {
      return await listArchive(manifest, backupFile.path)
    } catch (error) {
      await backupFile.verify()
      throw error
    }
  }

  /**
   * Runs pg_restore into the staging database while the backup's SHA-256 is checked, stops it
   * when the check fails, and reports the failed check before any error of pg_restore. Then
   * counts the rows of the staging database.
   */
  async function restoreAndCount(manifest: BackupManifest, backupFile: LocalBackupFile, staging: string, itemsTotal: number, admin: Sql) {
    const corrupt = new AbortController()
    const signal = AbortSignal.any([Context.current().cancellationSignal, corrupt.signal])
    const restoring = runRestore(manifest, backupFile.path, staging, itemsTotal, signal)
    // The hash starts after pg_restore is spawned, because when it started earlier it slowed
    // the database creation and the listing on two cores by about 30 ms in the benchmark.
    const verifying = backupFile.verify()
    verifying.catch(() => corrupt.abort())

    const [outcome, verified] = await Promise.allSettled([restoring, verifying])
    if (verified.status === 'rejected') throw verified.reason
    if (outcome.status === 'rejected') throw outcome.reason

    // A session reports its statistics as it exits, before it leaves pg_stat_activity.
    await sessionsEnded(admin, staging)
    const restored = connectDatabase(withDatabase(deps.serverUrl, staging), { max: deps.jobs })
    try {
      return { ignoredErrors: outcome.value, counts: await countRestoredRows(restored, deps.jobs, manifest.tables) }
    } finally {
      await restored.end()
    }
  }

  /**
   * Marks the staging database as a restore's and puts it in the target's place, and returns
   * the name the old target was renamed to, or null when there was none. The old target is
   * renamed rather than dropped, because DROP DATABASE waits for a checkpoint: after a
   * 1,000 MB restore that took about 0.5 s in the DR benchmark. When a step fails, the old
   * target gets its name back and the staging database is kept. A retry drops the staging
   * database and starts over.
   */
  async function replaceTarget(admin: Sql, staging: string, target: string, backupId: string): Promise<string | null> {
    try {
      await markRestored(admin, staging, backupId)
      const replaced = await moveAside(admin, target)
      try {
        // Renaming needs the database to itself, and autovacuum may have started on the fresh tables.
        await endSessions(admin, staging)
        await admin`ALTER DATABASE ${admin(staging)} RENAME TO ${admin(target)}`
      } catch (error) {
        if (replaced) await putBack(admin, replaced, target).catch(logFailedRollback(target, replaced))
        throw error
      }
      return replaced
    } catch (error) {
      Context.current().log.error('failed to replace the target with the restored staging database, which is kept', {
        staging,
        target,
        error: (error as Error).message,
      })
      throw error
    }
  }

  /**
   * Drops the database a restore moved aside, once the restore has returned, on a session of
   * its own. A worker that stops before this leaves it, and the next restore into the same
   * target drops it.
   */
  function dropReplacedLater(name: string): void {
    const log = Context.current().log
    const session = connectDatabase(withDatabase(deps.serverUrl, 'postgres'), { max: 1 })
    dropDatabase(session, name)
      .catch((error: unknown) => log.warn('failed to drop the database a restore replaced. The next restore into the target drops it, or drop it by hand', { database: name, error: (error as Error).message }))
      .finally(() => session.end())
  }

  /**
   * Finds the backup's manifest: by key, or through the catalog, or, when the catalog row is
   * missing or stale (a catalog restored from an older backup lists its own backup as
   * running), by searching the manifests in storage.
   */
  async function resolveBackup(request: RestoreRequest): Promise<BackupManifest> {
    if (request.manifestKey !== undefined) return readManifestOrReject(request.manifestKey)
    if (request.backupId === undefined) throw nonRetryable('BackupNotFound', 'a restore needs a backup id or a manifest key')

    const backup = await findBackup(deps.catalog, request.backupId).catch(() => null)
    if (backup?.status === 'pruned') {
      throw nonRetryable('BackupNotFound', `backup "${backup.id}" was pruned by the retention counts (${backup.pruneReason ?? 'no reason recorded'}); choose a newer one`)
    }
    const manifest = backup?.manifestKey
      ? await readManifestOrReject(backup.manifestKey)
      : (await listManifests(deps.storage)).find((entry) => entry.manifest.backupId === request.backupId)?.manifest
    if (!manifest) throw nonRetryable('BackupNotFound', `backup "${request.backupId}" is neither in the catalog nor in storage`)

    if (manifest.verification?.status === 'failed' || backup?.status === 'failed') {
      const reason = manifest.verification?.reason ?? backup?.failureReason ?? 'unknown reason'
      throw nonRetryable('BackupNotRestorable', `backup "${manifest.backupId}" failed its restore drill (${reason}); choose a verified backup`)
    }
    return manifest
  }

  async function readManifestOrReject(key: string): Promise<BackupManifest> {
    try {
      return await readManifest(deps.storage, key)
    } catch (error) {
      if (error instanceof ObjectNotFoundError || error instanceof InvalidObjectKeyError) {
        throw nonRetryable('BackupNotFound', `no backup manifest at "${key}": ${error.message}`)
      }
      throw error
    }
  }

  /** Lists a custom-format archive's items, which also proves pg_restore can read it. */
  async function listArchive(manifest: BackupManifest, file: string): Promise<number> {
    if (manifest.format !== 'custom') return 0
    try {
      const listing = await captureTool('pg_restore', ['--list', file], libpqEnvironment(deps.serverUrl))
      return listing.split('\n').filter((line) => /^\d+;/.test(line)).length
    } catch (error) {
      throw nonRetryable('BackupNotRestorable', `pg_restore cannot read backup ${manifest.backupId}: ${(error as Error).message}`)
    }
  }

  /**
   * Rejects replacing an existing database unless forced or unless an earlier restore made it,
   * and rejects a target that is a template database and a `template` that does not exist,
   * before anything is dropped.
   */
  async function checkReplaceable(admin: Sql, request: RestoreRequest): Promise<void> {
    if (request.template !== undefined) {
      const [template] = await admin`SELECT 1 FROM pg_database WHERE datname = ${request.template}`
      if (!template) throw nonRetryable('InvalidRestoreTarget', `template database "${request.template}" does not exist`)
    }
    const [existing] = await admin<{ comment: string | null; template: boolean }[]>`
      SELECT shobj_description(oid, 'pg_database') AS comment, datistemplate AS template FROM pg_database WHERE datname = ${request.targetDatabase}`
    if (existing?.template) {
      throw nonRetryable('InvalidRestoreTarget', `database "${request.targetDatabase}" is a template and cannot be dropped. To replace it, run ALTER DATABASE "${request.targetDatabase}" IS_TEMPLATE false first`)
    }
    if (!existing || request.force || existing.comment?.startsWith(RESTORE_MARK)) return
    throw nonRetryable(
      'InvalidRestoreTarget',
      `database "${request.targetDatabase}" already exists and was not made by a restore; pass --force to replace it`,
    )
  }

  /**
   * Makes the backup a local file, which `pg_restore -j` needs, and checks its SHA-256. A store
   * of local files pins the object's own file, which `verify` hashes in place when the caller
   * starts it. Other stores are downloaded into `workDir` through the check, which has passed
   * on return.
   */
  async function localBackupFile(manifest: BackupManifest, workDir: string): Promise<LocalBackupFile> {
    if (deps.storage.pinFile) {
      const path = await deps.storage.pinFile(manifest.objectKey)
      let check: Promise<void> | undefined
      const verify = () => (check ??= checkFileDigest(manifest, path))
      return { path, pinned: true, verify }
    }

    const path = join(workDir, manifest.format === 'custom' ? 'backup.dump' : 'backup.sql')
    await checkDigest(manifest, 'downloading', await deps.storage.get(manifest.objectKey), createWriteStream(path))
    return { path, pinned: false, verify: () => Promise.resolve() }
  }

  /** Streams the backup's bytes from `source` into `sink` and rejects when their SHA-256 differs from the manifest's. */
  async function checkDigest(manifest: BackupManifest, phase: string, source: Readable, sink: Writable): Promise<void> {
    const context = Context.current()
    const digest = new DigestStream()
    const progress = setInterval(() => context.heartbeat({ phase, bytes: digest.bytes, totalBytes: manifest.sizeBytes }), 2_000)

    try {
      await pipeline(source, digest, sink)
    } finally {
      clearInterval(progress)
    }
    rejectOtherDigest(manifest, digest.sha256())
  }

  /**
   * Hashes a local file in reads of 1 MiB and rejects when its SHA-256 differs from the
   * manifest's. This runs beside pg_restore, and against the 64 KiB reads of a stream pipeline
   * it took a third of the CPU time on a 240 MB file.
   */
  async function checkFileDigest(manifest: BackupManifest, path: string): Promise<void> {
    const context = Context.current()
    const hash = createHash('sha256')
    let bytes = 0
    const progress = setInterval(() => context.heartbeat({ phase: 'verifying', bytes, totalBytes: manifest.sizeBytes }), 2_000)

    try {
      for await (const chunk of createReadStream(path, { highWaterMark: FILE_HASH_READ_BYTES })) {
        hash.update(chunk as Buffer)
        bytes += (chunk as Buffer).length
      }
    } finally {
      clearInterval(progress)
    }
    rejectOtherDigest(manifest, hash.digest('hex'))
  }

  async function runRestore(manifest: BackupManifest, file: string, target: string, itemsTotal: number, signal: AbortSignal): Promise<RestoreError[]> {
    const context = Context.current()
    const env = libpqEnvironment(deps.serverUrl, target)

    if (manifest.format === 'plain') {
      context.heartbeat({ phase: 'restoring' })
      const psql = runTool('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file], { env, signal })
      psql.stdin.end()
      psql.stdout.resume()
      await psql.done
      return []
    }

    let itemsDone = 0

    const restore = runTool(
      'pg_restore',
      ['--no-owner', '--no-acl', '--verbose', `--jobs=${deps.jobs}`, `--dbname=${target}`, file],
      {
        env,
        acceptExitCodes: [1],
        signal,
        // An estimate: pg_restore logs one of these lines for most, not all, items.
        onStderrLine: (line) => {
          if (/^pg_restore: (creating|processing data|finished item|executing)/.test(line)) {
            itemsDone = Math.min(itemsDone + 1, itemsTotal)
            context.heartbeat({ phase: 'restoring', itemsDone, itemsTotal })
          }
        },
      },
    )
    restore.stdin.end()
    restore.stdout.resume()

    const errors = classifyRestoreErrors(await restore.done)
    if (errors.fatal.length > 0) {
      const first = errors.fatal[0]
      const message =
        `pg_restore failed on ${errors.fatal.length} statement(s) into "${target}"; first: ${first?.message}` +
        (first?.command ? ` (command: ${first.command.slice(0, 200)})` : '')
      // A statement the server rejected fails the same way again; a dropped connection may not.
      if (errors.fatal.every((error) => error.fromQuery)) throw nonRetryable('BackupNotRestorable', message)
      throw new Error(message)
    }
    return errors.ignorable
  }

  return { restoreBackup }
}

export type RestoreActivities = ReturnType<typeof createRestoreActivities>

const FILE_HASH_READ_BYTES = 1024 * 1024
const SESSION_END_WAIT_MS = 5_000
// pg_restore's sessions ended within 5 ms of its exit in the benchmark, and the restore waits for them.
const SESSION_POLL_MS = 5

/** Waits up to five seconds until no client session is connected to the database. */
async function sessionsEnded(admin: Sql, database: string): Promise<void> {
  const deadline = Date.now() + SESSION_END_WAIT_MS
  while (Date.now() < deadline) {
    const [row] = await admin<{ sessions: number }[]>`
      SELECT count(*)::int AS sessions FROM pg_stat_activity WHERE datname = ${database} AND backend_type = 'client backend'`
    if (row?.sessions === 0) return
    await new Promise((resolve) => setTimeout(resolve, SESSION_POLL_MS))
  }
}

/** Returns the name of the advisory lock that a restore into `target` takes. The lock key is the hash of this name. */
export function restoreLockName(target: string): string {
  return `school-ops restore into ${target}`
}

/**
 * Opens a session that holds an advisory lock on the target database until it ends, so two
 * restores into one target cannot drop each other's staging database. A killed worker's
 * session ends with it. When another session holds the lock, this attempt fails and is retried.
 */
async function lockTarget(serverUrl: string, target: string): Promise<Sql> {
  const session = connectDatabase(withDatabase(serverUrl, 'postgres'), { max: 1, applicationName: 'school-ops restore lock' })
  let locked = false

  try {
    // TCP keepalive probes end the session, and free the lock, about 90 s after the worker's
    // host stops responding. By default Linux sends the first probe after two hours (7,200 s).
    await session.unsafe('SET tcp_keepalives_idle = 60; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3')
    const [row] = await session<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(hashtextextended(${restoreLockName(target)}, 0)) AS locked`
    locked = row?.locked === true
  } finally {
    if (!locked) await session.end()
  }

  if (!locked) {
    throw ApplicationFailure.create({ type: 'RestoreTargetBusy', message: `another restore into database "${target}" is already running; wait for it to finish, then restore again` })
  }
  return session
}

/** Ends every other session connected to the database. */
async function endSessions(admin: Sql, database: string): Promise<void> {
  await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${database} AND pid <> pg_backend_pid()`
}

/**
 * Drops what earlier restores into the target left under a replaced name, then renames the
 * target to a new replaced name and returns it, or returns null when the target does not
 * exist. The target's sessions are ended before it is closed to new ones, because an open
 * transaction of theirs can block the ALTER. When the rename fails, the target is reopened.
 */
async function moveAside(admin: Sql, target: string): Promise<string | null> {
  const prefix = replacedDatabasePrefix(target)
  const leftovers = await admin<{ name: string }[]>`
    SELECT datname AS name FROM pg_database WHERE left(datname, ${prefix.length}) = ${prefix}`
  for (const leftover of leftovers) await dropDatabase(admin, leftover.name)

  const [existing] = await admin`SELECT 1 FROM pg_database WHERE datname = ${target}`
  if (!existing) return null
  const aside = `${prefix}${randomBytes(3).toString('hex')}`
  await endSessions(admin, target)
  await admin`ALTER DATABASE ${admin(target)} ALLOW_CONNECTIONS false`
  try {
    // Sessions that connected before the ALTER took effect.
    await endSessions(admin, target)
    await admin`ALTER DATABASE ${admin(target)} RENAME TO ${admin(aside)}`
  } catch (error) {
    await admin`ALTER DATABASE ${admin(target)} ALLOW_CONNECTIONS true`.catch(logFailedRollback(target))
    throw error
  }
  return aside
}

/**
 * Returns a handler that logs a failed attempt to give the old target back its name and
 * sessions. `database` is the old target's current name.
 */
function logFailedRollback(target: string, database: string = target) {
  return (error: unknown) =>
    Context.current().log.error('failed to reopen the old target after a failed replace. Rename it back and run ALTER DATABASE ... ALLOW_CONNECTIONS true by hand', {
      database,
      target,
      error: (error as Error).message,
    })
}

/**
 * Gives a target that was moved aside its name back and reopens it to new sessions.
 * NOTE: no test makes the replace fail after the target was closed, so this path and the
 * reopening in moveAside have only been read, not run.
 */
async function putBack(admin: Sql, aside: string, target: string): Promise<void> {
  await admin`ALTER DATABASE ${admin(aside)} RENAME TO ${admin(target)}`
  await admin`ALTER DATABASE ${admin(target)} ALLOW_CONNECTIONS true`
}

/** Throws a non-retryable failure when the backup's bytes hashed to another SHA-256 than its manifest records. */
function rejectOtherDigest(manifest: BackupManifest, sha256: string): void {
  if (sha256 === manifest.sha256) return
  throw nonRetryable('BackupNotRestorable', `stored object ${manifest.objectKey} has SHA-256 ${sha256} but its manifest records ${manifest.sha256}`)
}

// Comment set on databases a restore created, so a later restore may replace them unforced.
const RESTORE_MARK = 'school-ops restore of'

/** Comments the database as made by a restore. COMMENT takes no bind parameters, so the text is quoted here. */
async function markRestored(admin: Sql, database: string, backupId: string): Promise<void> {
  const text = `${RESTORE_MARK} ${backupId}`.replaceAll("'", "''")
  await admin.unsafe(`COMMENT ON DATABASE "${database.replaceAll('"', '""')}" IS '${text}'`)
}

/** Rejects putting one database's backup over another live database, even when forced. */
function checkSource(manifest: BackupManifest, request: RestoreRequest, liveDatabases: string[]): void {
  if (!liveDatabases.includes(request.targetDatabase) || manifest.database === request.targetDatabase) return
  throw nonRetryable(
    'InvalidRestoreTarget',
    `backup ${manifest.backupId} is of database "${manifest.database}" and cannot replace the live database "${request.targetDatabase}"`,
  )
}

function checkTarget(request: RestoreRequest, liveDatabases: string[]): void {
  const name = databaseName.safeParse(request.targetDatabase)
  if (!name.success) {
    throw nonRetryable('InvalidRestoreTarget', `target database "${request.targetDatabase}" ${name.error.issues[0]?.message}`)
  }
  if (isProtectedDatabase(request.targetDatabase)) {
    throw nonRetryable('InvalidRestoreTarget', `target database "${request.targetDatabase}" is a system database`)
  }
  if (liveDatabases.includes(request.targetDatabase) && !request.force) {
    throw nonRetryable(
      'InvalidRestoreTarget',
      `target "${request.targetDatabase}" is a live database (DATABASE_URL or BACKUP_DATABASES); pass --force to replace it`,
    )
  }
}
