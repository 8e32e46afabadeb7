import { Context } from '@temporalio/activity'
import { compareRowCounts, describeMismatches, type BackupManifest } from '../domain/backup'
import { classifyRestoreErrors } from '../domain/restore'
import { markBackupFailed, markBackupVerified } from '../data/backup-catalog'
import { connectDatabase, withDatabase } from '../data/db'
import { readManifest, writeManifest } from '../storage/backup-manifests'
import type { BackupActivityDependencies } from './backup'
import { dropDatabase, recreateDatabase, scratchDatabaseName } from './databases'
import { feedTool } from './restore-tools'
import { countTableRows } from './row-counts'

export interface VerificationResult {
  status: 'verified' | 'failed'
  reason: string | null
  scratchDatabase: string
  durationMs: number
}

/**
 * Creates the restore drill activity: it restores a backup into a scratch database, checks
 * the stored checksum and compares every table's row count with the dump's snapshot. The
 * scratch database is dropped afterwards whether the drill passed, failed or threw.
 */
export function createVerifyActivity(deps: BackupActivityDependencies) {
  const now = deps.now ?? (() => new Date())

  return async function verifyBackup(input: { backupId: string; manifestKey: string }): Promise<VerificationResult> {
    const started = Date.now()
    const manifest = await readManifest(deps.storage, input.manifestKey)
    const scratch = scratchDatabaseName(deps.scratchPrefix, input.backupId)
    const admin = connectDatabase(withDatabase(deps.serverUrl, 'postgres'), { max: 1 })

    try {
      // An earlier attempt finished the drill and wrote it into the manifest, but its worker died
      // before reporting. The catalog gets the same outcome, and the drill does not run again.
      if (manifest.verification) {
        const { status, reason, verifiedAt } = manifest.verification
        if (status === 'verified') await markBackupVerified(deps.catalog, input.backupId, new Date(verifiedAt))
        else await markBackupFailed(deps.catalog, input.backupId, `restore drill failed: ${reason}`)
        Context.current().log.info('backup drill already recorded', { backupId: input.backupId, status })
        return { status, reason, scratchDatabase: scratch, durationMs: Date.now() - started }
      }

      await recreateDatabase(admin, scratch)
      const reason = await drill(manifest, scratch)
      const verifiedAt = now()
      const status = reason === null ? 'verified' : 'failed'

      await writeManifest(deps.storage, input.manifestKey, {
        ...manifest,
        verification: { status, verifiedAt: verifiedAt.toISOString(), reason },
      })
      if (reason === null) await markBackupVerified(deps.catalog, input.backupId, verifiedAt)
      else await markBackupFailed(deps.catalog, input.backupId, `restore drill failed: ${reason}`)

      const durationMs = Date.now() - started
      const log = Context.current().log
      if (reason === null) log.info('backup verified', { backupId: input.backupId, tables: manifest.tables.length, durationMs })
      else log.warn('backup failed verification', { backupId: input.backupId, reason, durationMs })
      return { status, reason, scratchDatabase: scratch, durationMs }
    } finally {
      await dropDatabase(admin, scratch)
      await admin.end()
    }
  }

  /** Restores into the scratch database; returns why the backup is unusable, or null. */
  async function drill(manifest: BackupManifest, scratch: string): Promise<string | null> {
    const context = Context.current()
    const body = await deps.storage.get(manifest.objectKey)
    const fed = await feedTool({
      format: manifest.format,
      body,
      env: { serverUrl: deps.serverUrl, database: scratch },
      signal: context.cancellationSignal,
      onProgress: (bytesRead) => context.heartbeat({ phase: 'restoring into scratch database', bytesRead }),
    })

    if (fed.sha256 !== manifest.sha256) {
      return `stored object ${manifest.objectKey} has SHA-256 ${fed.sha256}, the catalog recorded ${manifest.sha256}`
    }
    const errors = classifyRestoreErrors(fed.stderr)
    if (errors.fatal.length > 0) {
      return `pg_restore reported ${errors.fatal.length} error(s), first: ${errors.fatal[0]?.message}`
    }

    const restored = connectDatabase(withDatabase(deps.serverUrl, scratch), { max: 1 })
    try {
      const counts = await countTableRows(restored, (done, total) =>
        context.heartbeat({ phase: 'counting restored rows', done, total }),
      )
      const mismatches = compareRowCounts(manifest.tables, counts)
      return mismatches.length === 0 ? null : describeMismatches(mismatches)
    } finally {
      await restored.end()
    }
  }
}
