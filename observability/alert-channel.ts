import type { Sql } from '../data/db'
import {
  insertAlertEvent,
  markAlertFiring,
  markAlertNotified,
  markAlertResolved,
  type OpsAlertRecord,
} from '../data/ops-alerts'
import type { AlertInput, AlertOutcome } from '../domain/monitoring'
import type { ErrorReporter, ReportLevel } from './error-reporting'
import { scrubValue } from './scrub'

export interface AlertChannelDependencies {
  sql: Sql
  reporter: ErrorReporter
  /** Receives a JSON POST per alert sent; null sends to Sentry only. */
  webhookUrl: string | null
  environment: string
  now?: () => Date
}

const WEBHOOK_TIMEOUT_MS = 10_000

/** Thrown when the webhook returns a 4xx status, because the URL or its receiver is misconfigured. */
export class AlertWebhookRejectedError extends Error {
  constructor(readonly status: number) {
    super(`ALERT_WEBHOOK_URL rejected the alert with status ${status}; check the URL and the receiver`)
    this.name = 'AlertWebhookRejectedError'
  }
}

/**
 * Creates the one way operations raise alerts: Sentry events plus the optional webhook. Alert state
 * lives in Postgres, so a problem that persists is sent once when it starts and once when it
 * is resolved, however often it is checked and whichever process checks it. Passwords and
 * tokens in messages are scrubbed before the alert is stored or sent.
 */
export function createAlertChannel(deps: AlertChannelDependencies) {
  const now = deps.now ?? (() => new Date())

  async function send(alert: OpsAlertRecord): Promise<void> {
    let level: ReportLevel = alert.severity === 'critical' ? 'error' : 'warning'
    let title = alert.message
    if (alert.status === 'resolved') {
      level = 'info'
      title = `resolved: ${alert.message}`
    }
    deps.reporter.captureMessage(`${alert.kind} alert ${title}`, level, {
      tags: { alertKind: alert.kind, alertKey: alert.key, alertStatus: alert.status, alertSeverity: alert.severity },
      extra: alert.details,
      fingerprint: ['ops-alert', alert.key, alert.status],
    })
    await deps.reporter.flush()
    if (deps.webhookUrl) await postWebhook(deps.webhookUrl, alert, deps.environment)
    await markAlertNotified(deps.sql, alert, now())
  }

  return {
    /** Marks a condition firing; sends only when it was not firing (or not sent) before. */
    async fire(alert: AlertInput): Promise<AlertOutcome> {
      const stored = await markAlertFiring(deps.sql, scrubValue(alert), now())
      if (stored.notifiedAt) return { key: alert.key, status: 'firing', notified: false }
      await send(stored)
      return { key: alert.key, status: 'firing', notified: true }
    },

    /** Resolves a firing condition and sends the recovery; does nothing when none fires. */
    async resolve(key: string): Promise<AlertOutcome> {
      const resolved = await markAlertResolved(deps.sql, key, now())
      if (!resolved) return { key, status: 'none', notified: false }
      await send(resolved)
      return { key, status: 'resolved', notified: true }
    },

    /** Sends a one-off alert, such as a failed DR stage, once per key. */
    async notify(alert: AlertInput): Promise<AlertOutcome> {
      const stored = await insertAlertEvent(deps.sql, scrubValue(alert), now())
      if (stored.notifiedAt) return { key: alert.key, status: 'event', notified: false }
      await send(stored)
      return { key: alert.key, status: 'event', notified: true }
    },
  }
}

export type AlertChannel = ReturnType<typeof createAlertChannel>

async function postWebhook(url: string, alert: OpsAlertRecord, environment: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      event: `alert.${alert.status}`,
      key: alert.key,
      kind: alert.kind,
      severity: alert.severity,
      status: alert.status,
      message: alert.message,
      details: alert.details,
      firedAt: alert.firedAt.toISOString(),
      resolvedAt: alert.resolvedAt?.toISOString() ?? null,
      environment,
    }),
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  })
  await response.body?.cancel()
  // 408 and 429 mean "try later"; any other 4xx will not change on a retry.
  const retryable = response.status === 408 || response.status === 429
  if (response.status >= 400 && response.status < 500 && !retryable) throw new AlertWebhookRejectedError(response.status)
  if (!response.ok) throw new Error(`ALERT_WEBHOOK_URL responded with status ${response.status}`)
}
