import { Context } from '@temporalio/activity'
import { listBackupsForRetention, markBackupPruned, type BackupRecord } from '../data/backup-catalog'
import type { Sql } from '../data/db'
import { planBackupPruning, type BackupPruningPlan, type BackupRetentionPolicy } from '../domain/backup-retention'
import type { ObjectStore } from '../storage/object-store'
import type { Config } from '../config'

export interface BackupRetentionDependencies {
  catalog: Sql
  storage: ObjectStore
  policy: BackupRetentionPolicy
  now?: () => Date
}

/** Returns the configured retention counts, with days, weeks and months in the backup schedule's time zone. */
export function backupRetentionPolicy(config: Config): BackupRetentionPolicy {
  const { retention, schedule } = config.backup
  return { keepDaily: retention.keepDaily, keepWeekly: retention.keepWeekly, keepMonthly: retention.keepMonthly, timeZone: schedule.timezone }
}

/** Summary of one pruning run. It contains counts only, so it stays small however many backups exist. */
export interface BackupPruningSummary {
  database: string
  kept: number
  pruned: number
  freedBytes: number
}

/** Plans the pruning of one database's backups from the catalog, without changing anything. */
export async function planPruning(deps: BackupRetentionDependencies, database: string): Promise<{ plan: BackupPruningPlan; backups: BackupRecord[] }> {
  const backups = await listBackupsForRetention(deps.catalog, database)
  const plan = planBackupPruning(backups, deps.policy, (deps.now ?? (() => new Date()))())
  return { plan, backups }
}

export function createBackupRetentionActivities(deps: BackupRetentionDependencies) {
  /**
   * Deletes the dump and manifest of every backup outside the retention counts, then marks its
   * catalog row pruned. Files go first, so a retry after a crash finds the row still listed
   * and deletes again (deleting an absent object succeeds) instead of leaving files behind.
   */
  async function pruneBackups(input: { database: string }): Promise<BackupPruningSummary> {
    const { plan, backups } = await planPruning(deps, input.database)
    const byId = new Map(backups.map((backup) => [backup.id, backup]))
    const summary: BackupPruningSummary = { database: input.database, kept: plan.keep.length, pruned: 0, freedBytes: 0 }

    for (const { id, reason } of plan.prune) {
      const backup = byId.get(id)
      if (backup?.objectKey) await deps.storage.delete(backup.objectKey)
      if (backup?.manifestKey) await deps.storage.delete(backup.manifestKey)
      await markBackupPruned(deps.catalog, id, reason)
      summary.pruned++
      summary.freedBytes += backup?.sizeBytes ?? 0
      Context.current().heartbeat({ pruned: summary.pruned, of: plan.prune.length })
      Context.current().log.info('backup pruned', { backupId: id, reason })
    }
    return summary
  }

  return { pruneBackups }
}

export type BackupRetentionActivities = ReturnType<typeof createBackupRetentionActivities>
