import type { WorkflowHandle } from '@temporalio/client'
import { historyToJSON } from '@temporalio/common/lib/proto-utils'
import { MockActivityEnvironment } from '@temporalio/testing'
import { DefaultLogger, Worker } from '@temporalio/worker'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMonitoringActivities } from '../../activities/monitoring'
import { createApp } from '../../api/app'
import { findAlert } from '../../data/ops-alerts'
import {
  backupFailedAlertKey,
  backupRpoAlertKey,
  BACKUP_RPO_SCHEDULE_ID,
  UPTIME_SCHEDULE_ID,
  uptimeAlertKey,
  type BackupRpoCheck,
  type UptimeProbeResult,
  type UptimeWorkflowResult,
} from '../../domain/monitoring'
import { OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER } from '../../domain/search-attributes'
import { createAlertChannel } from '../../observability/alert-channel'
import { disabledErrorReporter } from '../../observability/error-reporting'
import { createLogger } from '../../observability/logger'
import { LocalObjectStore } from '../../storage/local'
import { ensureSchedules } from '../../worker/schedules'
import { seedSchool, seedUser, type SeededUser } from '../accounts-support'
import { startProbedApp, startWebhookReceiver, waitFor } from '../monitoring-support'
import { createTestApp, FIXTURES, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, workflowBundle, type TemporalHarness } from '../temporal-support'

/** Replays a finished run against the current code; RECORD_HISTORIES=1 stores it as a fixture. */
async function replayAndRecord(name: string, handle: WorkflowHandle) {
  const history = await handle.fetchHistory()
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `${name}-replay`)
  if (process.env.RECORD_HISTORIES === '1') await writeFile(join(FIXTURES, 'histories', `${name}-workflow.json`), historyToJSON(history))
}

describe('uptime and backup RPO monitoring', () => {
  let app: TestApp
  let harness: TemporalHarness
  let probed: Awaited<ReturnType<typeof startProbedApp>>
  let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>
  let config: ReturnType<typeof testConfig>
  let ops: SeededUser
  const runPrefix = uniqueName('monitoring')
  let runs = 0

  beforeAll(async () => {
    app = await createTestApp()
    probed = await startProbedApp()
    webhook = await startWebhookReceiver()
    config = testConfig({
      DATABASE_URL: app.url,
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: uniqueName('monitoring_tq'),
      NEXT_PUBLIC_APP_URL: probed.url,
      UPTIME_PROBE_PATH: '/healthz',
      UPTIME_PROBE_TIMEOUT_SECONDS: '2',
      UPTIME_FAILURE_THRESHOLD: '2',
      ALERT_WEBHOOK_URL: webhook.url,
    })
    harness = await startHarness(config, app.sql, new LocalObjectStore(app.storageRoot))
    ops = await seedUser(app.sql, await seedSchool(app.sql), ['ops'])
  })

  afterAll(async () => {
    for (const scheduleId of [UPTIME_SCHEDULE_ID, BACKUP_RPO_SCHEDULE_ID]) {
      await harness?.client.schedule.getHandle(scheduleId).delete().catch(() => undefined)
    }
    await harness?.close()
    await probed?.close()
    await webhook?.close()
    await app?.cleanup()
  })

  const startUptime = () =>
    harness.client.workflow.start('uptimeWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `${runPrefix}-uptime-${++runs}`,
      args: [{ url: config.monitoring.uptime.url, timeoutMs: config.monitoring.uptime.timeoutMs, failureThreshold: config.monitoring.uptime.failureThreshold }],
    })
  const probeOnce = async () => (await (await startUptime()).result()) as UptimeWorkflowResult

  const startRpoCheck = (databases: string[]) =>
    harness.client.workflow.start('backupRpoWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `${runPrefix}-rpo-${++runs}`,
      args: [{ databases }],
    })

  async function insertBackup(database: string, status: 'verified' | 'failed', hoursAgo: number, failureReason: string | null = null) {
    const id = uniqueName(`backup-${database}`)
    const at = new Date(Date.now() - hoursAgo * 3_600_000)
    await app.sql`
      INSERT INTO backup (id, workflow_id, database_name, trigger, format, status, started_at, dumped_at, verified_at, failure_reason)
      VALUES (${id}, ${id}, ${database}, 'schedule', 'custom', ${status}, ${at}, ${at}, ${status === 'verified' ? at : null}, ${failureReason})`
    return id
  }

  it('alerts once on outage and recovery', async () => {
    const key = uptimeAlertKey(config.monitoring.uptime.url)

    const healthy = await probeOnce()
    await probed.goDown()
    const firstFailure = await probeOnce()
    const secondFailureHandle = await startUptime()
    const secondFailure = (await secondFailureHandle.result()) as UptimeWorkflowResult
    const thirdFailure = await probeOnce()
    const firing = await findAlert(app.sql, key)
    await probed.comeUp()
    const recoveryHandle = await startUptime()
    const recovery = (await recoveryHandle.result()) as UptimeWorkflowResult
    const afterRecovery = await probeOnce()

    expect(healthy.probe.ok).toBe(true)
    expect(healthy.alert.notified).toBe(false)
    expect(firstFailure.probe.ok).toBe(false)
    expect(firstFailure.probe.consecutiveFailures).toBe(1)
    expect(firstFailure.alert.status).toBe('none')
    expect(secondFailure.probe.consecutiveFailures).toBe(2)
    expect(secondFailure.alert).toEqual({ key, status: 'firing', notified: true })
    expect(thirdFailure.alert).toEqual({ key, status: 'firing', notified: false })
    expect(firing?.status).toBe('firing')
    expect(recovery.probe.ok).toBe(true)
    expect(recovery.alert).toEqual({ key, status: 'resolved', notified: true })
    expect(afterRecovery.alert.notified).toBe(false)
    const uptimeEvents = webhook.received.filter((event) => event.kind === 'uptime')
    expect(uptimeEvents.map((event) => event.event)).toEqual(['alert.firing', 'alert.resolved'])
    expect(uptimeEvents[0]?.message).toContain('2 probes in a row failed')
    expect(uptimeEvents[0]?.key).toBe(key)
    expect((await findAlert(app.sql, key))?.status).toBe('resolved')
    await replayAndRecord('uptime-down', secondFailureHandle)
    await replayAndRecord('uptime-recovered', recoveryHandle)
  })

  it('counts a slow answer as a failed probe', async () => {
    const slowApp = createServer((_request, response) => setTimeout(() => response.end('late'), 3_000))
    await new Promise<void>((resolve) => slowApp.listen(0, '127.0.0.1', resolve))
    const address = slowApp.address()
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/healthz`

    const handle = await harness.client.workflow.start('uptimeWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `${runPrefix}-slow`,
      args: [{ url, timeoutMs: 500, failureThreshold: 5 }],
    })
    const result = (await handle.result()) as UptimeWorkflowResult
    slowApp.closeAllConnections()
    slowApp.close()

    expect(result.probe.ok).toBe(false)
    expect(result.probe.error).toBe('no answer within 500 ms')
    expect(result.probe.statusCode).toBeNull()
  })

  it('records a retried probe once', async () => {
    const activities = createMonitoringActivities({ sql: app.sql, alerts: createAlertChannel({ sql: app.sql, reporter: disabledErrorReporter, webhookUrl: null, environment: 'test' }) })
    const url = `${probed.url}/retried`
    const attempt = (): Promise<UptimeProbeResult> =>
      new MockActivityEnvironment({ workflowExecution: { workflowId: `${runPrefix}-retried`, runId: 'run-1' } }, { logger: new DefaultLogger('WARN') }).run(activities.probeApp, { url, timeoutMs: 1_000 })

    const first = await attempt()
    await probed.goDown()
    const retried = await attempt()
    await probed.comeUp()
    const [rows] = await app.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM uptime_probe WHERE url = ${url}`

    expect(first.ok).toBe(true)
    expect(retried.ok).toBe(true)
    expect(retried.durationMs).toBe(first.durationMs)
    expect(rows?.count).toBe(1)
  })

  it('alerts on a backup beyond the RPO', async () => {
    const database = uniqueName('rpo_db')
    await insertBackup(database, 'verified', 30)

    const staleHandle = await startRpoCheck([database])
    const [stale] = (await staleHandle.result()) as BackupRpoCheck[]
    const [repeated] = (await (await startRpoCheck([database])).result()) as BackupRpoCheck[]
    await insertBackup(database, 'verified', 1)
    const [fresh] = (await (await startRpoCheck([database])).result()) as BackupRpoCheck[]

    expect(stale?.withinRpo).toBe(false)
    expect(stale?.ageHours).toBe(30)
    expect(stale?.rpo).toEqual({ key: backupRpoAlertKey(database), status: 'firing', notified: true })
    expect(repeated?.rpo.notified).toBe(false)
    expect(fresh?.withinRpo).toBe(true)
    expect(fresh?.rpo).toEqual({ key: backupRpoAlertKey(database), status: 'resolved', notified: true })
    const events = webhook.received.filter((event) => event.key === backupRpoAlertKey(database))
    expect(events.map((event) => event.event)).toEqual(['alert.firing', 'alert.resolved'])
    expect(events[0]?.message).toContain('30 h old, beyond the 24-hour RPO')
    await replayAndRecord('backup-rpo', staleHandle)
  })

  it('alerts on a database never backed up', async () => {
    const database = uniqueName('never_backed_up')

    const [check] = (await (await startRpoCheck([database])).result()) as BackupRpoCheck[]

    expect(check?.ageHours).toBeNull()
    expect(check?.rpo.status).toBe('firing')
    expect((await findAlert(app.sql, backupRpoAlertKey(database)))?.message).toContain('has no verified backup')
  })

  it('alerts while the last backup failed', async () => {
    const database = uniqueName('failing_db')
    await insertBackup(database, 'verified', 2)
    const failedId = await insertBackup(database, 'failed', 1, 'restore drill found 3 rows missing in table student')

    const [failing] = (await (await startRpoCheck([database])).result()) as BackupRpoCheck[]
    await insertBackup(database, 'verified', 0.5)
    const [recovered] = (await (await startRpoCheck([database])).result()) as BackupRpoCheck[]

    expect(failing?.withinRpo).toBe(true)
    expect(failing?.lastBackupFailed).toEqual({ key: backupFailedAlertKey(database), status: 'firing', notified: true })
    expect(recovered?.lastBackupFailed.status).toBe('resolved')
    const events = webhook.received.filter((event) => event.key === backupFailedAlertKey(database))
    expect(events.map((event) => event.event)).toEqual(['alert.firing', 'alert.resolved'])
    expect(events[0]?.message).toContain(failedId)
    expect(events[0]?.message).toContain('3 rows missing')
  })

  it('starts the uptime probe from its schedule', async () => {
    const logger = createLogger({ level: 'silent', name: 'test' })
    await ensureSchedules(harness.client, config, logger)
    const schedule = harness.client.schedule.getHandle(UPTIME_SCHEDULE_ID)
    const description = await schedule.describe()

    await schedule.trigger()
    const workflowId = await waitFor(async () => {
      for await (const run of harness.client.workflow.list({ query: `OpsKind = "uptime" AND WorkflowId STARTS_WITH "${UPTIME_SCHEDULE_ID}-" AND TaskQueue = "${config.temporal.taskQueue}"` })) {
        return run.workflowId
      }
      return undefined
    }, 'a scheduled uptime workflow')
    const run = harness.client.workflow.getHandle(workflowId)
    const result = (await run.result()) as UptimeWorkflowResult
    const finished = await run.describe()

    expect(description.spec.intervals?.map((interval) => interval.every)).toEqual([60_000])
    expect(description.policies.catchupWindow).toBe(60_000)
    expect(result.probe.url).toBe(`${probed.url}/healthz`)
    expect(finished.typedSearchAttributes.get(OPS_KIND)).toBe('uptime')
    expect(finished.typedSearchAttributes.get(OPS_TARGET)).toBe(`${probed.url}/healthz`)
    expect(finished.typedSearchAttributes.get(OPS_TRIGGER)).toBe('schedule')
    expect(finished.typedSearchAttributes.get(OPS_STATUS)).toBe('up')
  })

  it('reports every operation on status', async () => {
    await insertBackup(app.name, 'verified', 3)
    const endedAt = new Date(Date.now() - 30 * 60_000)
    await app.sql`
      INSERT INTO mirror_run (run_id, workflow_id, status, started_at, ended_at, scanned, copied, skipped, failed, bytes_moved, note)
      VALUES ('mirror-run-1', 'mirror-private-storage-test', 'good', ${endedAt}, ${endedAt}, 10, 2, 8, 0, 2048, NULL)`
    const http = createApp({ config, sql: app.sql, temporal: async () => harness.client, logger: createLogger({ level: 'silent', name: 'api' }) })

    const response = await http.request('/api/ops/status', { headers: ops.headers })
    const body = (await response.json()) as {
      backups: { rpoHours: number; databases: { database: string; status: string; lastVerified: { ageHours: number } | null }[] }
      mirror: { status: string; rpoHours: number; lastGood: { ageMinutes: number } | null; lastRun: { status: string; copied: number } | null }
      retention: { status: string; firstPurgeApproved: boolean; lastPurgeAt: string | null; activeLegalHolds: number }
      dr: { status: string }
      uptime: { url: string; status: string; consecutiveFailures: number; lastProbe: { ok: boolean } | null }
      alerts: { key: string; kind: string }[]
    }

    expect(response.status).toBe(200)
    expect(body.backups.rpoHours).toBe(24)
    expect(body.backups.databases).toHaveLength(1)
    expect(body.backups.databases[0]?.database).toBe(app.name)
    expect(body.backups.databases[0]?.status).toBe('within RPO')
    expect(body.backups.databases[0]?.lastVerified?.ageHours).toBe(3)
    expect(body.mirror.status).toBe('within RPO')
    expect(body.mirror.rpoHours).toBe(1)
    expect(body.mirror.lastGood?.ageMinutes).toBe(30)
    expect(body.mirror.lastRun?.status).toBe('good')
    expect(body.mirror.lastRun?.copied).toBe(2)
    expect(body.retention.status).toBe('first purge not approved')
    expect(body.retention.firstPurgeApproved).toBe(false)
    expect(body.retention.lastPurgeAt).toBeNull()
    expect(body.retention.activeLegalHolds).toBe(0)
    expect(['idle', 'active']).toContain(body.dr.status)
    expect(body.uptime.url).toBe(`${probed.url}/healthz`)
    expect(body.uptime.status).toBe('up')
    expect(body.uptime.consecutiveFailures).toBe(0)
    expect(body.uptime.lastProbe?.ok).toBe(true)
    expect(body.alerts.map((alert) => alert.kind)).toContain('backup-rpo')
    expect(body.alerts.map((alert) => alert.kind)).not.toContain('uptime')
  })

  it('reports an unconfigured mirror on status', async () => {
    const withoutMirror = testConfig({ DATABASE_URL: app.url, TEMPORAL_TASK_QUEUE: config.temporal.taskQueue, MIRROR_PROVIDER: 'off' })
    const http = createApp({ config: withoutMirror, sql: app.sql, temporal: async () => harness.client, logger: createLogger({ level: 'silent', name: 'api' }) })

    const response = await http.request('/api/ops/status', { headers: ops.headers })
    const body = (await response.json()) as { mirror: { status: string } }

    expect(response.status).toBe(200)
    expect(body.mirror).toEqual({ status: 'not configured' })
  })
})
