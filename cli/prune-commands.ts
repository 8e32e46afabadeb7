import { randomUUID } from 'node:crypto'
import { backupRetentionPolicy, planPruning } from '../activities/backup-retention'
import { startBackupPrune } from '../client/backups'
import type { CommandContext } from './backup-commands'
import { formatBytes, renderTable } from './format'

/**
 * Prunes one database's backups to the retention counts through the workflow, or with
 * `dryRun` prints what would be kept and pruned, and why, without changing anything.
 */
export async function backupPrune(context: CommandContext, options: { database: string; dryRun: boolean }): Promise<void> {
  if (options.dryRun) {
    const policy = backupRetentionPolicy(context.config)
    const { plan, backups } = await planPruning({ catalog: context.sql(), storage: context.storage, policy }, options.database)
    if (context.json) return context.out(JSON.stringify(plan, null, 2))

    const decisions = new Map<string, [string, string]>([
      ...plan.keep.map(({ id, reasons }): [string, [string, string]] => [id, ['keep', reasons.join(', ')]]),
      ...plan.prune.map(({ id, reason }): [string, [string, string]] => [id, ['prune', reason]]),
    ])
    const rows = backups.map((backup) => [backup.id, backup.status, formatBytes(backup.sizeBytes), ...(decisions.get(backup.id) ?? ['keep', ''])])
    context.out(renderTable(['BACKUP', 'STATUS', 'SIZE', 'DECISION', 'REASON'], rows))
    return context.out(`\n${plan.keep.length} kept, ${plan.prune.length} to prune (keep ${policy.keepDaily} daily, ${policy.keepWeekly} weekly, ${policy.keepMonthly} monthly); nothing was changed`)
  }

  const handle = await startBackupPrune(await context.temporal(), {
    database: options.database,
    taskQueue: context.config.temporal.taskQueue,
    requestId: `cli-${randomUUID()}`,
  })
  process.stderr.write(`started ${handle.workflowId}\n`)
  const summary = await handle.result()
  if (context.json) return context.out(JSON.stringify(summary, null, 2))
  context.out(`pruned ${summary.pruned} backup(s) of ${summary.database}, freeing ${formatBytes(summary.freedBytes)}; ${summary.kept} kept`)
}
