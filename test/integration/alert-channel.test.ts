import { ApplicationFailure } from '@temporalio/common'
import { MockActivityEnvironment } from '@temporalio/testing'
import { DefaultLogger } from '@temporalio/worker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDrActivities } from '../../activities/dr'
import { createMonitoringActivities } from '../../activities/monitoring'
import { findAlert } from '../../data/ops-alerts'
import type { AlertInput } from '../../domain/monitoring'
import { AlertWebhookRejectedError, createAlertChannel, type AlertChannel } from '../../observability/alert-channel'
import { createErrorReporter, type ErrorReporter } from '../../observability/error-reporting'
import { createLogger } from '../../observability/logger'
import { LocalObjectStore } from '../../storage/local'
import { startSentryReceiver, startWebhookReceiver, waitFor } from '../monitoring-support'
import { createTestApp, SERVER_URL, uniqueName, type TestApp } from '../support'

describe('alert channel', () => {
  let app: TestApp
  let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>
  let sentry: Awaited<ReturnType<typeof startSentryReceiver>>
  let reporter: ErrorReporter
  let channel: AlertChannel

  beforeAll(async () => {
    app = await createTestApp()
    webhook = await startWebhookReceiver()
    sentry = await startSentryReceiver()
    reporter = createErrorReporter({
      sentry: { dsn: sentry.dsn, environment: 'alert-test', release: 'school-ops@0.0.0-test' },
      service: 'worker',
      logger: createLogger({ level: 'silent', name: 'test' }),
    })
    channel = createAlertChannel({ sql: app.sql, reporter, webhookUrl: webhook.url, environment: 'alert-test' })
  })

  afterAll(async () => {
    await webhook?.close()
    await sentry?.close()
    await app?.cleanup()
  })

  const condition = (key: string): AlertInput => ({ key, kind: 'mirror-rpo', severity: 'critical', message: `problem ${key}`, details: { database: 'school_ops' } })
  const webhookEvents = (key: string) => webhook.received.filter((event) => event.key === key).map((event) => event.event)

  it('sends an ongoing problem once until resolved', async () => {
    const key = uniqueName('ongoing')

    const first = await channel.fire(condition(key))
    const repeat = await channel.fire(condition(key))
    const resolved = await channel.resolve(key)
    const resolvedAgain = await channel.resolve(key)
    const again = await channel.fire(condition(key))

    expect(first).toEqual({ key, status: 'firing', notified: true })
    expect(repeat).toEqual({ key, status: 'firing', notified: false })
    expect(resolved).toEqual({ key, status: 'resolved', notified: true })
    expect(resolvedAgain).toEqual({ key, status: 'none', notified: false })
    expect(again.notified).toBe(true)
    expect(webhookEvents(key)).toEqual(['alert.firing', 'alert.resolved', 'alert.firing'])
  })

  it('sends each alert to Sentry with its tags', async () => {
    const key = uniqueName('tagged')

    await channel.fire(condition(key))
    const received = await waitFor(() => sentry.events.find((event) => event.event.tags?.alertKey === key), 'the alert event')

    expect(received.event.tags?.alertKind).toBe('mirror-rpo')
    expect(received.event.tags?.alertStatus).toBe('firing')
    expect(received.event.level).toBe('error')
    expect(received.event.message).toContain(`problem ${key}`)
    expect(received.event.environment).toBe('alert-test')
  })

  it('resends when the webhook failed', async () => {
    const key = uniqueName('retried')
    webhook.answerWith(503)

    const failed = await channel.fire(condition(key)).catch((error: unknown) => error)
    const unsent = await findAlert(app.sql, key)
    webhook.answerWith(204)
    const retried = await channel.fire(condition(key))

    expect(failed).toBeInstanceOf(Error)
    expect((failed as Error).message).toBe('ALERT_WEBHOOK_URL responded with status 503')
    expect(unsent?.status).toBe('firing')
    expect(unsent?.notifiedAt).toBeNull()
    expect(retried.notified).toBe(true)
    expect(webhookEvents(key)).toEqual(['alert.firing'])
  })

  it('rejects a webhook 4xx without retrying', async () => {
    const key = uniqueName('rejected')
    const activities = createMonitoringActivities({ sql: app.sql, alerts: channel })
    webhook.answerWith(404)

    const direct = await channel.fire(condition(key)).catch((error: unknown) => error)
    const viaActivity = await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') })
      .run(activities.fireAlert, condition(key))
      .catch((error: unknown) => error)
    webhook.answerWith(204)

    expect(direct).toBeInstanceOf(AlertWebhookRejectedError)
    expect(viaActivity).toBeInstanceOf(ApplicationFailure)
    expect((viaActivity as ApplicationFailure).type).toBe('AlertWebhookRejected')
    expect((viaActivity as ApplicationFailure).nonRetryable).toBe(true)
  })

  it('scrubs passwords and tokens from alerts', async () => {
    const key = uniqueName('scrubbed')

    await channel.fire({ ...condition(key), message: 'cannot reach postgres://ops:hunter2-secret@db.internal/school_ops with Bearer sot_abcdef' })
    const stored = await findAlert(app.sql, key)
    const sent = webhook.received.find((event) => event.key === key)

    expect(stored?.message).toBe('cannot reach postgres://ops:[redacted]@db.internal/school_ops with Bearer [redacted]')
    expect(JSON.stringify(sent)).not.toContain('hunter2-secret')
    expect(JSON.stringify(sent)).not.toContain('sot_abcdef')
  })

  it('sends each DR alert once per activity', async () => {
    const dr = createDrActivities({
      serverUrl: SERVER_URL,
      appDatabase: app.name,
      appUrl: 'http://127.0.0.1:9',
      targetAppUrl: 'http://127.0.0.1:9',
      storage: new LocalObjectStore(app.storageRoot),
      deployHookUrl: null,
      deployCommand: null,
      healthTimeoutMs: 5_000,
      alerts: channel,
    })
    const workflowId = uniqueName('dr-restore')
    const activityInfo = (activityId: string) => ({ activityId, workflowExecution: { workflowId, runId: 'run-1' } })
    const raise = (activityId: string) =>
      new MockActivityEnvironment(activityInfo(activityId), { logger: new DefaultLogger('WARN') }).run(dr.raiseAlert, {
        kind: 'dr-rto-warning' as const,
        message: 'DR run has used 75 % of the 4-hour RTO',
        workflowId,
      })

    await raise('7')
    await raise('7')
    await raise('12')

    const sent = webhook.received.filter((event) => (event.details as { workflowId?: string }).workflowId === workflowId)
    expect(sent).toHaveLength(2)
    expect(sent.map((event) => event.event)).toEqual(['alert.event', 'alert.event'])
    expect(sent[0]?.severity).toBe('warning')
    expect(sent[0]?.kind).toBe('dr-rto-warning')
  })
})
