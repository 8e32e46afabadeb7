import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow'
import type { MonitoringActivities } from '../activities/monitoring'
import { uptimeAlertKey, type AlertOutcome, type UptimeWorkflowInput, type UptimeWorkflowResult } from '../domain/monitoring'
import { OPS_STATUS } from '../domain/search-attributes'

// The probe has its own timeout (at most 60 s); these bounds only cover Postgres and the alert
// receivers being briefly away. A webhook that rejects alerts is a configuration error.
const monitoring = proxyActivities<MonitoringActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['AlertWebhookRejected'] },
})

/**
 * Probes the app's URL once. The alert fires when the failures in a row reach the threshold,
 * and the first probe that succeeds afterwards resolves it. Probes in between send nothing,
 * because the alert state in Postgres shows the alert already firing.
 */
export async function uptimeWorkflow(input: UptimeWorkflowInput): Promise<UptimeWorkflowResult> {
  upsertSearchAttributes([{ key: OPS_STATUS, value: 'probing' }])
  const probe = await monitoring.probeApp({ url: input.url, timeoutMs: input.timeoutMs })
  const key = uptimeAlertKey(input.url)

  let alert: AlertOutcome = { key, status: 'none', notified: false }
  if (probe.ok) {
    alert = await monitoring.resolveAlert({ key })
  } else if (probe.consecutiveFailures >= input.failureThreshold) {
    alert = await monitoring.fireAlert({
      key,
      kind: 'uptime',
      severity: 'critical',
      message: `${input.url} is down: ${probe.consecutiveFailures} probes in a row failed, the last with "${probe.error}"`,
      details: { url: input.url, consecutiveFailures: probe.consecutiveFailures, statusCode: probe.statusCode },
    })
  }

  upsertSearchAttributes([{ key: OPS_STATUS, value: probe.ok ? 'up' : 'down' }])
  return { probe, alert }
}
