import { Context } from '@temporalio/activity'
import {
  backupObjectKey,
  dumpIncompatibility,
  manifestKeyFor,
  postgresMajorVersion,
  type BackupFormat,
  type BackupManifest,
  type BackupSchool,
} from '../domain/backup'
import type { OpsTrigger } from '../domain/search-attributes'
import { insertRunningBackup, markBackupDumped, markBackupFailed } from '../data/backup-catalog'
import { connectDatabase, withDatabase, type Queryable, type Sql } from '../data/db'
import { writeManifest } from '../storage/backup-manifests'
import type { ObjectStore } from '../storage/object-store'
import { nonRetryable, rethrowConfigurationError } from './failures'
import { captureTool, libpqEnvironment, runTool } from './postgres-tools'
import { countTableRows } from './row-counts'
import { DigestStream } from './stream-digest'
import { dropDatabase, scratchDatabaseName } from './databases'
import { createVerifyActivity } from './verify'

export interface BackupActivityDependencies {
  /** Pool on the application database, which contains the backup catalog. */
  catalog: Sql
  /** Connection URL of the PostgreSQL server; its database part is replaced per backup. */
  serverUrl: string
  /** Databases the worker may back up; anything else is rejected without retrying. */
  allowedDatabases: string[]
  storage: ObjectStore
  format: BackupFormat
  /** Prefix of the scratch databases that restore drills create and drop. */
  scratchPrefix: string
  /** Days each dump is locked against deletion where the store supports object lock; 0 locks nothing. */
  lockDays?: number
  now?: () => Date
}

/** Identifies one backup run; passed to every backup activity. */
export interface BackupRun {
  backupId: string
  workflowId: string
  database: string
  trigger: OpsTrigger
  /** ISO timestamp of the workflow start, which dates the object key. */
  startedAt: string
}

export interface ServerVersions {
  serverVersion: string
  pgDumpVersion: string
}

export interface DumpResult {
  objectKey: string
  manifestKey: string
  sizeBytes: number
  sha256: string
  tableCount: number
}

// How often a running dump reports its byte count; the SDK throttles heartbeats further.
const PROGRESS_INTERVAL_MS = 2_000

/** Creates the activities of the backup workflow around real Postgres and storage. */
function lockOf(deps: BackupActivityDependencies, at: Date): { retainUntil?: Date } {
  return deps.lockDays ? { retainUntil: new Date(at.getTime() + deps.lockDays * 86_400_000) } : {}
}

export function createBackupActivities(deps: BackupActivityDependencies) {
  const now = deps.now ?? (() => new Date())

  async function prepareBackup(run: BackupRun): Promise<ServerVersions> {
    if (!deps.allowedDatabases.includes(run.database)) {
      throw nonRetryable(
        'DatabaseNotAllowed',
        `database "${run.database}" is not in BACKUP_DATABASES (${deps.allowedDatabases.join(', ')})`,
      )
    }

    // The row comes first so that a backup failing its checks is listed with the reason.
    await insertRunningBackup(deps.catalog, {
      id: run.backupId,
      workflowId: run.workflowId,
      databaseName: run.database,
      trigger: run.trigger,
      format: deps.format,
      startedAt: new Date(run.startedAt),
    })

    const versions = await readServerVersions(deps.serverUrl, run.database)
    const problem = dumpIncompatibility(
      postgresMajorVersion(versions.pgDumpVersion),
      postgresMajorVersion(versions.serverVersion),
    )
    if (problem) throw nonRetryable('IncompatiblePgDump', problem)

    return versions
  }

  async function dumpDatabase(run: BackupRun & ServerVersions): Promise<DumpResult> {
    const objectKey = backupObjectKey({
      database: run.database,
      backupId: run.backupId,
      startedAt: new Date(run.startedAt),
      format: deps.format,
    })
    const source = connectDatabase(withDatabase(deps.serverUrl, run.database), { max: 1 })

    try {
      const dumped = await dumpInOneSnapshot(source, run.database, objectKey)
      const manifest: BackupManifest = {
        manifestVersion: 1,
        backupId: run.backupId,
        workflowId: run.workflowId,
        trigger: run.trigger,
        database: run.database,
        format: deps.format,
        objectKey,
        sizeBytes: dumped.sizeBytes,
        sha256: dumped.sha256,
        serverVersion: run.serverVersion,
        pgDumpVersion: run.pgDumpVersion,
        startedAt: run.startedAt,
        dumpedAt: now().toISOString(),
        tables: dumped.tables,
        schools: dumped.schools,
        verification: null,
      }
      const manifestKey = manifestKeyFor(objectKey)
      await writeManifest(deps.storage, manifestKey, manifest)
      await markBackupDumped(deps.catalog, manifest, manifestKey)

      Context.current().log.info('backup dumped', {
        backupId: run.backupId,
        objectKey,
        sizeBytes: dumped.sizeBytes,
        tables: dumped.tables.length,
      })
      return { objectKey, manifestKey, sizeBytes: dumped.sizeBytes, sha256: dumped.sha256, tableCount: dumped.tables.length }
    } catch (error) {
      rethrowConfigurationError(error, run.database)
    } finally {
      await source.end()
    }
  }

  /**
   * Dumps the database and counts its rows in one exported snapshot, so the counts the drill
   * compares against are exactly what the dump contains even while the school keeps writing.
   */
  async function dumpInOneSnapshot(source: Sql, database: string, objectKey: string) {
    const context = Context.current()

    return source.begin('isolation level repeatable read read only', async (tx) => {
      const [exported] = await tx<{ snapshot: string }[]>`SELECT pg_export_snapshot() AS snapshot`
      if (!exported) throw new Error('pg_export_snapshot returned no row')
      const schools = await schoolsInSnapshot(tx)

      const formatFlag = deps.format === 'custom' ? '--format=custom' : '--format=plain'
      const dump = runTool('pg_dump', [formatFlag, `--snapshot=${exported.snapshot}`], {
        env: libpqEnvironment(deps.serverUrl, database),
        signal: context.cancellationSignal,
      })
      dump.stdin.end()

      // The digest holds back its end until pg_dump exits 0, so a failed dump never becomes
      // an object in storage.
      const digest = new DigestStream({ settledBy: dump.done })
      // Its error reaches this activity through the store's put and the dump's exit. Without a
      // listener, an error raised before the store starts reading (a row count failing while
      // PostgreSQL shuts down) would be an uncaught exception and end the worker.
      digest.on('error', () => undefined)
      dump.stdout.on('error', (error) => digest.destroy(error))
      dump.stdout.pipe(digest)

      let tablesCounted = 0
      const progress = setInterval(
        () => context.heartbeat({ phase: 'dumping', bytesWritten: digest.bytes, tablesCounted }),
        PROGRESS_INTERVAL_MS,
      )

      const steps = [
        countTableRows(tx, (done) => (tablesCounted = done)),
        deps.storage.put(objectKey, digest, lockOf(deps, now())),
        dump.done,
      ] as const

      try {
        const [tables] = await Promise.all(steps)
        return { tables, schools, sizeBytes: digest.bytes, sha256: digest.sha256() }
      } catch (error) {
        // Stop whichever step is still running before the snapshot's transaction ends.
        dump.child.kill('SIGTERM')
        digest.destroy(error as Error)
        await Promise.allSettled(steps)
        throw error
      } finally {
        clearInterval(progress)
      }
    })
  }

  /**
   * Marks the backup failed and drops its restore drill's scratch database, which a drill
   * killed with its worker leaves behind when no later attempt ran.
   */
  async function recordBackupFailure(input: { backupId: string; reason: string }): Promise<void> {
    await markBackupFailed(deps.catalog, input.backupId, input.reason)
    const admin = connectDatabase(withDatabase(deps.serverUrl, 'postgres'), { max: 1 })
    try {
      await dropDatabase(admin, scratchDatabaseName(deps.scratchPrefix, input.backupId))
    } finally {
      await admin.end()
    }
  }

  return {
    prepareBackup,
    dumpDatabase,
    verifyBackup: createVerifyActivity(deps),
    recordBackupFailure,
  }
}

export type BackupActivities = ReturnType<typeof createBackupActivities>

async function readServerVersions(serverUrl: string, database: string): Promise<ServerVersions> {
  const source = connectDatabase(withDatabase(serverUrl, database), { max: 1 })

  try {
    const [row] = await source<{ server_version: string }[]>`SHOW server_version`
    const pgDumpVersion = (await captureTool('pg_dump', ['--version'], process.env)).trim()
    return { serverVersion: row?.server_version ?? 'unknown', pgDumpVersion }
  } catch (error) {
    rethrowConfigurationError(error, database)
  } finally {
    await source.end()
  }
}

/**
 * Lists the schools of an application database, so the manifest records whose data a backup
 * contains. Other databases, such as a sample one, have no `school` table and list none.
 */
async function schoolsInSnapshot(tx: Queryable): Promise<BackupSchool[]> {
  const [table] = await tx<{ found: boolean }[]>`SELECT to_regclass('public.school') IS NOT NULL AS found`
  if (!table?.found) return []
  const rows = await tx<{ id: string; slug: string }[]>`SELECT id::text AS id, slug FROM school ORDER BY slug`
  return rows.map((row) => ({ id: row.id, slug: row.slug }))
}
