/**
 * Monitoring definitions shared by the workflows, activities, worker and API: alert kinds,
 * schedule ids and workflow inputs. Pure code, importable from workflows.
 */

/** Alerts the DR workflow raises; each is sent once, as it has nothing to resolve. */
export type DrAlertKind = 'dr-stage-failed' | 'dr-failed' | 'dr-rto-warning' | 'dr-rto-breached'

/** Subject of an alert. Conditions have a dedup key of their own, see the `*AlertKey` functions. */
export type AlertKind = 'uptime' | 'backup-rpo' | 'backup-failed' | 'mirror-rpo' | DrAlertKind

export type AlertSeverity = 'warning' | 'critical'

/** An alert to raise; `key` names the ongoing problem, so raising it again sends nothing. */
export interface AlertInput {
  key: string
  kind: AlertKind
  severity: AlertSeverity
  message: string
  /** Small, non-personal facts for people: database names, URLs, counts, workflow ids. */
  details?: Record<string, string | number | boolean | null>
}

/** Result of raising or resolving an alert; `notified` is false when it was a repeat. */
export interface AlertOutcome {
  key: string
  status: 'firing' | 'resolved' | 'event' | 'none'
  notified: boolean
}

export function uptimeAlertKey(url: string): string {
  return `uptime:${url}`
}

export function backupRpoAlertKey(database: string): string {
  return `backup-rpo:${database}`
}

export function backupFailedAlertKey(database: string): string {
  return `backup-failed:${database}`
}

/** Recovery point objective of the private-document mirror: at most one hour of new files lost. */
export const MIRROR_RPO_MS = 3_600_000

/** Activity header that carries the request id of the API call or CLI run that started a workflow. */
export const REQUEST_ID_HEADER = 'requestId'

/** Schedule of the uptime probe; Temporal appends each action time to the workflow id. */
export const UPTIME_SCHEDULE_ID = 'uptime-probe'
/** Schedule of the backup RPO check. */
export const BACKUP_RPO_SCHEDULE_ID = 'backup-rpo-check'
/** Schedule of the mirror RPO check, and the key of its one alert. */
export const MIRROR_RPO_SCHEDULE_ID = 'mirror-rpo-check'
export const MIRROR_RPO_ALERT_KEY = 'mirror-rpo'

export interface UptimeWorkflowInput {
  url: string
  timeoutMs: number
  /** Failures in a row before the uptime alert fires. */
  failureThreshold: number
}

export interface UptimeProbeResult {
  url: string
  ok: boolean
  statusCode: number | null
  durationMs: number
  error: string | null
  /** Failed probes of this URL since its last successful one, this probe included. */
  consecutiveFailures: number
}

export interface UptimeWorkflowResult {
  probe: UptimeProbeResult
  alert: AlertOutcome
}

export interface BackupRpoWorkflowInput {
  databases: string[]
}

/** The newest backups of one database, as the RPO check reads them from the catalog. */
export interface BackupRecency {
  database: string
  newestVerifiedAt: string | null
  newestVerifiedId: string | null
  /** The newest finished backup (verified or failed), which shows whether the last run failed. */
  newestFinished: { id: string; status: 'verified' | 'failed'; failureReason: string | null } | null
}

export interface BackupRpoCheck {
  database: string
  /** Hours since the newest verified backup was taken; null when there is none. */
  ageHours: number | null
  withinRpo: boolean
  rpo: AlertOutcome
  lastBackupFailed: AlertOutcome
}
