import type { Client } from '@temporalio/client'
import type { Hono } from 'hono'
import type { Config } from '../config'
import { listBackups } from '../data/backup-catalog'
import { readBackupRecency } from '../data/backup-recency'
import type { Sql } from '../data/db'
import { readMirrorRuns } from '../data/mirror-runs'
import { readRetentionStatus } from '../data/retention'
import { listFiringAlerts } from '../data/ops-alerts'
import { countConsecutiveFailures, findLatestProbe } from '../data/uptime-probes'
import { DATABASE_RPO_MS } from '../domain/dr'
import { MIRROR_RPO_MS } from '../domain/monitoring'
import { DR_STAGE, OPS_STATUS } from '../domain/search-attributes'
import { DR_WORKFLOW_ID } from '../workflows/dr-definitions'
import type { AppEnv } from './app'
import { principal, requirePermission } from './authentication'
import type { RouteCatalog } from './route-catalog'

// Temporal may be down while the status page is most needed; its part then reads "unknown".
const TEMPORAL_TIMEOUT_MS = 2_000

export interface OpsStatusDependencies {
  config: Config
  sql: Sql
  temporal: () => Promise<Client>
}

/** Adds GET /api/ops/status: every operation's health at a glance, for ops, on-call and admins. */
export function registerOpsStatusRoute(routes: Hono<AppEnv>, deps: OpsStatusDependencies, catalog: RouteCatalog): void {
  catalog.add({ method: 'GET', path: '/api/ops/status', permission: 'ops-status:read' })

  routes.get('/status', requirePermission('ops-status:read'), async (c) => {
    const [backups, mirror, retention, dr, uptime, alerts] = await Promise.all([
      Promise.all(deps.config.backup.databases.map((database) => backupStatus(deps.sql, database))),
      deps.config.mirror ? mirrorStatus(deps.sql) : { status: 'not configured' },
      retentionStatus(deps.sql, principal(c).schoolId),
      drStatus(deps.temporal),
      uptimeStatus(deps.sql, deps.config.monitoring.uptime.url),
      listFiringAlerts(deps.sql),
    ])

    return c.json({
      checkedAt: new Date().toISOString(),
      backups: { rpoHours: DATABASE_RPO_MS / 3_600_000, databases: backups },
      mirror,
      retention,
      dr,
      uptime,
      alerts: alerts.map((alert) => ({
        key: alert.key,
        kind: alert.kind,
        severity: alert.severity,
        message: alert.message,
        firedAt: alert.firedAt.toISOString(),
      })),
    })
  })
}

async function backupStatus(sql: Sql, database: string) {
  const [recency, [last]] = await Promise.all([readBackupRecency(sql, database), listBackups(sql, { database, limit: 1 })])
  const ageMs = recency.newestVerifiedAt === null ? null : Date.now() - Date.parse(recency.newestVerifiedAt)
  let status = 'no verified backup'
  if (ageMs !== null) status = ageMs <= DATABASE_RPO_MS ? 'within RPO' : 'beyond RPO'

  return {
    database,
    status,
    lastVerified: recency.newestVerifiedAt
      ? { backupId: recency.newestVerifiedId, dumpedAt: recency.newestVerifiedAt, ageHours: round(ageMs! / 3_600_000) }
      : null,
    lastBackup: last ? { backupId: last.id, status: last.status, startedAt: last.startedAt.toISOString(), failureReason: last.failureReason } : null,
  }
}

async function retentionStatus(sql: Sql, schoolId: string) {
  const state = await readRetentionStatus(sql, schoolId)
  return {
    status: state.firstPurgeApproved ? 'purging daily' : 'first purge not approved',
    ...state,
    lastPurgeAt: state.lastPurgeAt?.toISOString() ?? null,
  }
}

async function mirrorStatus(sql: Sql) {
  const { last, lastGood } = await readMirrorRuns(sql)
  const ageMs = lastGood === null ? null : Date.now() - lastGood.endedAt.getTime()
  let status = 'no good run'
  if (ageMs !== null) status = ageMs <= MIRROR_RPO_MS ? 'within RPO' : 'beyond RPO'

  return {
    status,
    rpoHours: MIRROR_RPO_MS / 3_600_000,
    lastGood: lastGood && ageMs !== null ? { workflowId: lastGood.workflowId, endedAt: lastGood.endedAt.toISOString(), ageMinutes: Math.round(ageMs / 60_000) } : null,
    lastRun: last ? { workflowId: last.workflowId, status: last.status, endedAt: last.endedAt.toISOString(), copied: last.copied, failed: last.failed, note: last.note } : null,
  }
}

async function drStatus(temporal: () => Promise<Client>) {
  try {
    const description = await withTimeout(async () => (await temporal()).workflow.getHandle(DR_WORKFLOW_ID).describe())
    const active = description.status.name === 'RUNNING'
    return {
      status: active ? 'active' : 'idle',
      workflowId: description.workflowId,
      runStatus: description.typedSearchAttributes.get(OPS_STATUS) ?? description.status.name.toLowerCase(),
      stage: description.typedSearchAttributes.get(DR_STAGE) ?? null,
      startedAt: description.startTime.toISOString(),
      closedAt: description.closeTime?.toISOString() ?? null,
    }
  } catch (error) {
    if ((error as { name?: string }).name === 'WorkflowNotFoundError') return { status: 'idle', workflowId: null }
    return { status: 'unknown', error: `Temporal did not answer: ${(error as Error).message}` }
  }
}

async function uptimeStatus(sql: Sql, url: string) {
  const [probe, consecutiveFailures] = await Promise.all([findLatestProbe(sql, url), countConsecutiveFailures(sql, url)])

  return {
    url,
    status: probe === null ? 'not probed yet' : probe.ok ? 'up' : 'down',
    consecutiveFailures,
    lastProbe: probe
      ? { probedAt: probe.probedAt.toISOString(), ok: probe.ok, statusCode: probe.statusCode, durationMs: probe.durationMs, error: probe.error }
      : null,
  }
}

async function withTimeout<T>(work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${TEMPORAL_TIMEOUT_MS} ms`)), TEMPORAL_TIMEOUT_MS)
  })
  try {
    return await Promise.race([work(), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function round(hours: number): number {
  return Math.round(hours * 10) / 10
}
