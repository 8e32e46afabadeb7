import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow'
import type { MonitoringActivities } from '../activities/monitoring'
import { MIRROR_RPO_ALERT_KEY, MIRROR_RPO_MS, type AlertOutcome } from '../domain/monitoring'
import { OPS_STATUS } from '../domain/search-attributes'

const monitoring = proxyActivities<MonitoringActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['AlertWebhookRejected'] },
})

/**
 * Compares the end of the newest good mirror run with the 1-hour RPO of private documents,
 * fires the mirror-rpo alert when it is older or missing, and resolves it once it is not.
 */
export async function mirrorRpoWorkflow(): Promise<{ ageMinutes: number | null; withinRpo: boolean; alert: AlertOutcome }> {
  const { lastGoodEndedAt } = await monitoring.readMirrorRecency()
  const ageMs = lastGoodEndedAt === null ? null : Date.now() - Date.parse(lastGoodEndedAt)
  const withinRpo = ageMs !== null && ageMs <= MIRROR_RPO_MS
  const ageMinutes = ageMs === null ? null : Math.round(ageMs / 60_000)

  const alert = withinRpo
    ? await monitoring.resolveAlert({ key: MIRROR_RPO_ALERT_KEY })
    : await monitoring.fireAlert({
        key: MIRROR_RPO_ALERT_KEY,
        kind: 'mirror-rpo',
        severity: 'critical',
        message:
          ageMinutes === null
            ? 'no mirror run has succeeded, so private documents have no copy within the 1-hour RPO'
            : `the newest good mirror run ended ${ageMinutes} min ago, beyond the 1-hour RPO of private documents`,
        details: { lastGoodEndedAt, ageMinutes },
      })
  upsertSearchAttributes([{ key: OPS_STATUS, value: withinRpo ? 'ok' : 'alerting' }])
  return { ageMinutes, withinRpo, alert }
}
