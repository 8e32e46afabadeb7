/**
 * Workflow ids ops read in the Temporal UI. They name the operation and its target, never a
 * person. Scheduled runs get the schedule's action time appended by Temporal, so a scheduled
 * backup reads `backup-<database>-2026-12-04T02:00:00Z`. A manual one reads
 * `backup-<database>-manual-<time>`, so the two never share an id.
 */
export function backupScheduleId(database: string): string {
  return `backup-${database}`
}

export function manualBackupWorkflowId(database: string, at: Date): string {
  return `backup-${database}-manual-${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}`
}

export function restoreWorkflowId(backupId: string, targetDatabase: string): string {
  return `restore-${backupId}-to-${targetDatabase}`
}

export function backupPruneScheduleId(database: string): string {
  return `backup-prune-${database}`
}

export function manualBackupPruneWorkflowId(database: string, at: Date): string {
  return `backup-prune-${database}-${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}`
}
