import type { AlertInput, AlertSeverity } from '../domain/monitoring'
import type { Sql } from './db'

/** An alert row: one ongoing or past operations problem. */
export interface OpsAlertRecord {
  key: string
  kind: string
  severity: AlertSeverity
  status: 'firing' | 'resolved' | 'event'
  message: string
  details: Record<string, unknown>
  firedAt: Date
  lastSeenAt: Date
  resolvedAt: Date | null
  notifiedAt: Date | null
}

interface OpsAlertRow {
  key: string
  kind: string
  severity: AlertSeverity
  status: 'firing' | 'resolved' | 'event'
  message: string
  details: Record<string, unknown>
  fired_at: Date
  last_seen_at: Date
  resolved_at: Date | null
  notified_at: Date | null
}

const COLUMNS = ['key', 'kind', 'severity', 'status', 'message', 'details', 'fired_at', 'last_seen_at', 'resolved_at', 'notified_at']

function toRecord(row: OpsAlertRow): OpsAlertRecord {
  return {
    key: row.key,
    kind: row.kind,
    severity: row.severity,
    status: row.status,
    message: row.message,
    details: row.details,
    firedAt: row.fired_at,
    lastSeenAt: row.last_seen_at,
    resolvedAt: row.resolved_at,
    notifiedAt: row.notified_at,
  }
}

/**
 * Marks the alert firing. A resolved or new alert starts a new firing with `notified_at`
 * NULL; an alert already firing only gets its message and `last_seen_at` refreshed.
 */
export async function markAlertFiring(sql: Sql, alert: AlertInput, now: Date): Promise<OpsAlertRecord> {
  const [row] = await sql<OpsAlertRow[]>`
    INSERT INTO ops_alert (key, kind, severity, status, message, details, fired_at, last_seen_at)
    VALUES (${alert.key}, ${alert.kind}, ${alert.severity}, 'firing', ${alert.message},
            ${sql.json(alert.details ?? {})}, ${now}, ${now})
    ON CONFLICT (key) DO UPDATE
      SET kind = EXCLUDED.kind, severity = EXCLUDED.severity, message = EXCLUDED.message,
          details = EXCLUDED.details, last_seen_at = EXCLUDED.last_seen_at, status = 'firing',
          fired_at = CASE WHEN ops_alert.status = 'resolved' THEN EXCLUDED.fired_at ELSE ops_alert.fired_at END,
          resolved_at = CASE WHEN ops_alert.status = 'resolved' THEN NULL ELSE ops_alert.resolved_at END,
          notified_at = CASE WHEN ops_alert.status = 'resolved' THEN NULL ELSE ops_alert.notified_at END
    RETURNING ${sql(COLUMNS)}`
  if (!row) throw new Error(`alert ${alert.key} was not stored`)
  return toRecord(row)
}

/**
 * Marks a firing alert resolved and returns it. Returns a resolved alert whose recovery was
 * not sent yet too, so a retry sends it; returns null when nothing was firing.
 */
export async function markAlertResolved(sql: Sql, key: string, now: Date): Promise<OpsAlertRecord | null> {
  const [resolved] = await sql<OpsAlertRow[]>`
    UPDATE ops_alert SET status = 'resolved', resolved_at = ${now}, last_seen_at = ${now}, notified_at = NULL
     WHERE key = ${key} AND status = 'firing'
    RETURNING ${sql(COLUMNS)}`
  if (resolved) return toRecord(resolved)

  const [unsent] = await sql<OpsAlertRow[]>`
    SELECT ${sql(COLUMNS)} FROM ops_alert WHERE key = ${key} AND status = 'resolved' AND notified_at IS NULL`
  return unsent ? toRecord(unsent) : null
}

/** Records that the alert's current state was sent; a state changed since is left unsent. */
export async function markAlertNotified(sql: Sql, alert: OpsAlertRecord, now: Date): Promise<void> {
  await sql`
    UPDATE ops_alert SET notified_at = ${now}
     WHERE key = ${alert.key} AND status = ${alert.status} AND fired_at = ${alert.firedAt}`
}

/** Stores a one-off alert once per key and returns the stored row, new or earlier. */
export async function insertAlertEvent(sql: Sql, alert: AlertInput, now: Date): Promise<OpsAlertRecord> {
  await sql`
    INSERT INTO ops_alert (key, kind, severity, status, message, details, fired_at, last_seen_at)
    VALUES (${alert.key}, ${alert.kind}, ${alert.severity}, 'event', ${alert.message},
            ${sql.json(alert.details ?? {})}, ${now}, ${now})
    ON CONFLICT (key) DO NOTHING`
  const stored = await findAlert(sql, alert.key)
  if (!stored) throw new Error(`alert ${alert.key} was not stored`)
  return stored
}

/** Lists the alerts firing now, newest first. */
export async function listFiringAlerts(sql: Sql): Promise<OpsAlertRecord[]> {
  const rows = await sql<OpsAlertRow[]>`
    SELECT ${sql(COLUMNS)} FROM ops_alert WHERE status = 'firing' ORDER BY fired_at DESC LIMIT 100`
  return rows.map(toRecord)
}

export async function findAlert(sql: Sql, key: string): Promise<OpsAlertRecord | null> {
  const [row] = await sql<OpsAlertRow[]>`SELECT ${sql(COLUMNS)} FROM ops_alert WHERE key = ${key}`
  return row ? toRecord(row) : null
}
