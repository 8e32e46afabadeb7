import { Context } from '@temporalio/activity'
import { ApplicationFailure } from '@temporalio/common'
import { readBackupRecency } from '../data/backup-recency'
import { readMirrorRuns } from '../data/mirror-runs'
import type { Sql } from '../data/db'
import { countConsecutiveFailures, recordUptimeProbe } from '../data/uptime-probes'
import type { AlertInput, AlertOutcome, BackupRecency, UptimeProbeResult } from '../domain/monitoring'
import { AlertWebhookRejectedError, type AlertChannel } from '../observability/alert-channel'

export interface MonitoringActivityDependencies {
  sql: Sql
  alerts: AlertChannel
  now?: () => Date
}

/** Error types the monitoring workflows do not retry: configuration that a retry cannot fix. */
export const NON_RETRYABLE_MONITORING_ERRORS = ['AlertWebhookRejected'] as const

/** Creates the uptime probe, the backup recency read and the alert activities. */
export function createMonitoringActivities(deps: MonitoringActivityDependencies) {
  const now = deps.now ?? (() => new Date())

  /**
   * GETs the URL once, counting anything but a 200 within the timeout as a failure, records
   * the probe under the workflow id (so a retry records it once) and counts the failures in a row.
   */
  async function probeApp(input: { url: string; timeoutMs: number }): Promise<UptimeProbeResult> {
    const context = Context.current()
    const probedAt = now()
    const started = performance.now()
    let statusCode: number | null = null
    let error: string | null = null

    try {
      const response = await fetch(input.url, { redirect: 'manual', signal: AbortSignal.timeout(input.timeoutMs) })
      await response.body?.cancel()
      statusCode = response.status
      if (statusCode !== 200) error = `answered ${statusCode}, expected 200`
    } catch (caught) {
      error = describeFetchError(caught, input.timeoutMs)
    }

    const probeId = context.info.workflowExecution?.workflowId ?? context.info.activityId
    const probe = { probeId, url: input.url, probedAt, ok: error === null, statusCode, durationMs: Math.round(performance.now() - started), error }
    // A retry after the row was written reports the stored probe, so the result and the table agree.
    const stored = await recordUptimeProbe(deps.sql, probe)
    const consecutiveFailures = await countConsecutiveFailures(deps.sql, input.url)

    const fields = { url: input.url, statusCode: stored.statusCode, durationMs: stored.durationMs }
    if (stored.ok) context.log.info('uptime probe succeeded', fields)
    else context.log.warn('uptime probe failed', { ...fields, error: stored.error, consecutiveFailures })
    return { url: input.url, ok: stored.ok, statusCode: stored.statusCode, durationMs: stored.durationMs, error: stored.error, consecutiveFailures }
  }

  async function fireAlert(alert: AlertInput): Promise<AlertOutcome> {
    const outcome = await sendOrFail(() => deps.alerts.fire(alert))
    if (outcome.notified) Context.current().log.warn('alert fired', { alertKey: alert.key, kind: alert.kind, severity: alert.severity, message: alert.message })
    return outcome
  }

  async function resolveAlert(input: { key: string }): Promise<AlertOutcome> {
    const outcome = await sendOrFail(() => deps.alerts.resolve(input.key))
    if (outcome.notified) Context.current().log.info('alert resolved', { alertKey: input.key })
    return outcome
  }

  async function readBackupRecencyOf(input: { database: string }): Promise<BackupRecency> {
    return readBackupRecency(deps.sql, input.database)
  }

  /** Returns when the newest good mirror run ended, or null when none ever did. */
  async function readMirrorRecency(): Promise<{ lastGoodEndedAt: string | null }> {
    const { lastGood } = await readMirrorRuns(deps.sql)
    return { lastGoodEndedAt: lastGood?.endedAt.toISOString() ?? null }
  }

  return { probeApp, fireAlert, resolveAlert, readBackupRecency: readBackupRecencyOf, readMirrorRecency }
}

export type MonitoringActivities = ReturnType<typeof createMonitoringActivities>

async function sendOrFail(send: () => Promise<AlertOutcome>): Promise<AlertOutcome> {
  try {
    return await send()
  } catch (error) {
    if (error instanceof AlertWebhookRejectedError) {
      throw ApplicationFailure.create({ type: 'AlertWebhookRejected', message: error.message, nonRetryable: true, cause: error })
    }
    throw error
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : null
  return cause ?? (error instanceof Error ? error.message : String(error))
}
