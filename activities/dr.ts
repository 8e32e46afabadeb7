import { Context } from '@temporalio/activity'
import { spawn } from 'node:child_process'
import { Readable } from 'node:stream'
import type { Sql } from '../data/db'
import { connectDatabase, withDatabase } from '../data/db'
import { migrate } from '../data/migrate'
import type { DrReport, PointOfFailure } from '../domain/dr'
import type { DrAlertKind } from '../domain/monitoring'
import type { AlertChannel } from '../observability/alert-channel'
import { listManifests } from '../storage/backup-manifests'
import type { ObjectStore } from '../storage/object-store'
import { accessMismatches, checkRoleAccess, disableVerificationAccounts, prepareVerificationAccounts } from './dr-verification'
import { nonRetryable } from './failures'

export interface DrActivityDependencies {
  serverUrl: string
  /** The application database: what DR probes and, by default, restores. */
  appDatabase: string
  /** The URL of the running app, probed to find the point of failure. */
  appUrl: string
  /** The URL of the newly deployed app, checked after deploy and during verification. */
  targetAppUrl: string
  storage: ObjectStore
  deployHookUrl: string | null
  deployCommand: string | null
  healthTimeoutMs: number
  /** Where DR alerts go: Sentry and the alert webhook, once per alert. */
  alerts: AlertChannel
}

const PROBE_TIMEOUT_MS = 5_000

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

async function probe(check: () => Promise<void>): Promise<string> {
  try {
    await check()
    return 'ok'
  } catch (error) {
    return `failed: ${describe(error)}`
  }
}

/** Creates the activities of the DR workflow's stages. */
export function createDrActivities(deps: DrActivityDependencies) {
  /** Probes the target database, the running app and private storage, and records which failed. */
  async function identifyPointOfFailure(input: { targetDatabase: string }): Promise<PointOfFailure> {
    // The probes run side by side: in a real outage each may wait its whole timeout.
    const [database, app, storage] = await Promise.all([
      probe(async () => {
        const sql = connectDatabase(withDatabase(deps.serverUrl, input.targetDatabase), { max: 1, connectTimeoutSeconds: PROBE_TIMEOUT_MS / 1000 })
        try {
          await sql`SELECT version FROM schema_migration LIMIT 1`
        } finally {
          await sql.end({ timeout: 1 })
        }
      }),
      probe(async () => {
        const response = await fetch(`${deps.appUrl}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
        await response.body?.cancel()
        if (response.status !== 200) throw new Error(`GET /healthz answered ${response.status}`)
      }),
      probe(async () => {
        const key = `dr-probes/${Date.now()}-${Math.random().toString(36).slice(2)}.txt`
        await deps.storage.put(key, Readable.from(['probe']))
        await deps.storage.delete(key)
      }),
    ])

    const failed = (['database', 'app', 'storage'] as const).filter((part) => ({ database, app, storage })[part] !== 'ok')
    Context.current().log.info('point of failure identified', { database, app, storage })
    return { database, app, storage, failed: [...failed] }
  }

  /** Creates what the restore needs: the target database (empty if new) and the storage root. */
  async function provisionEnvironment(input: { targetDatabase: string; storageFailed: boolean }): Promise<string> {
    const admin = connectDatabase(withDatabase(deps.serverUrl, 'postgres'), { max: 1 })
    try {
      const [existing] = await admin`SELECT 1 FROM pg_database WHERE datname = ${input.targetDatabase}`
      if (!existing) await admin`CREATE DATABASE ${admin(input.targetDatabase)}`
      if (input.storageFailed) await deps.storage.put('dr-probes/provisioned.txt', Readable.from([new Date().toISOString()]))
      return existing ? `database ${input.targetDatabase} exists and will be replaced by the restore` : `created database ${input.targetDatabase}`
    } finally {
      await admin.end()
    }
  }

  /**
   * Starts the deploy through the configured hook or command. Returns `manual` when neither
   * is configured, so the workflow waits for on-call to confirm the deploy.
   */
  async function triggerDeploy(input: { workflowId: string; reason: string }): Promise<'hook' | 'command' | 'manual'> {
    if (deps.deployHookUrl) {
      const response = await fetch(deps.deployHookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event: 'dr-deploy', workflowId: input.workflowId, reason: input.reason }),
        signal: AbortSignal.timeout(30_000),
      })
      await response.body?.cancel()
      if (!response.ok) throw new Error(`deploy hook answered ${response.status}`)
      return 'hook'
    }
    if (deps.deployCommand) {
      await runDeployCommand(deps.deployCommand, input.workflowId)
      return 'command'
    }
    return 'manual'
  }

  /** Polls the new app's health check until it answers 200, heartbeating between tries. */
  async function waitForHealthyApp(): Promise<string> {
    const context = Context.current()
    const deadline = Date.now() + deps.healthTimeoutMs
    let last = 'no answer yet'

    while (Date.now() < deadline) {
      const response = await fetch(`${deps.targetAppUrl}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).catch((error: unknown) => describe(error))
      if (typeof response !== 'string' && response.status === 200) return `${deps.targetAppUrl} answers /healthz`
      last = typeof response === 'string' ? response : `status ${response.status}`
      context.heartbeat({ waitingFor: `${deps.targetAppUrl}/healthz`, last })
      await context.sleep(1_000)
    }
    throw new Error(`the new app at ${deps.targetAppUrl} did not answer /healthz within ${deps.healthTimeoutMs / 1000} s (last: ${last})`)
  }

  /** Finds the newest verified backup of the app database from the manifests in storage. */
  async function findLatestVerifiedBackup(): Promise<{ backupId: string; manifestKey: string; dumpedAt: string }> {
    const manifests = await listManifests(deps.storage, deps.appDatabase)
    const verified = manifests
      .filter(({ manifest }) => manifest.verification?.status === 'verified')
      .sort((a, b) => b.manifest.dumpedAt.localeCompare(a.manifest.dumpedAt))
    const latest = verified[0]
    if (!latest) throw nonRetryable('BackupNotFound', `no verified backup of "${deps.appDatabase}" found in storage`)
    return { backupId: latest.manifest.backupId, manifestKey: latest.key, dumpedAt: latest.manifest.dumpedAt }
  }

  /** Checks /readyz of the new app, then signs in as every role and compares access with the matrix. */
  async function verifyAccess(input: { targetDatabase: string }): Promise<string> {
    const ready = await fetch(`${deps.targetAppUrl}/readyz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
    await ready.body?.cancel()
    if (ready.status !== 200) throw new Error(`${deps.targetAppUrl}/readyz answered ${ready.status}`)

    const sql = connectDatabase(withDatabase(deps.serverUrl, input.targetDatabase), { max: 1 })
    try {
      const passwords = await prepareVerificationAccounts(sql)
      const checks = await checkRoleAccess(deps.targetAppUrl, passwords).finally(() => disableVerificationAccounts(sql))
      const mismatches = accessMismatches(checks)
      if (mismatches.length > 0) {
        const shown = mismatches.slice(0, 5).map((check) => `${check.role} ${check.path} answered ${check.status}, expected ${check.expected}`)
        throw nonRetryable('RoleAccessMismatch', `role-based access differs from the permission matrix: ${shown.join('; ')}`)
      }
      return `${checks.length} access checks over ${passwords.size} roles match the permission matrix`
    } finally {
      await sql.end()
    }
  }

  async function writeDrReport(report: DrReport): Promise<void> {
    await deps.storage.put(`dr-reports/${report.workflowId}.json`, Readable.from([JSON.stringify(report, null, 2)]))
  }

  /** Writes the run's record into the restored database's DR table, once it exists. */
  async function recordDrRun(input: { report: DrReport; runId: string }): Promise<void> {
    const sql: Sql = connectDatabase(withDatabase(deps.serverUrl, input.report.targetDatabase), { max: 1 })
    try {
      await migrate(sql)
      await sql`
        INSERT INTO dr_run (run_id, workflow_id, reason, requested_by, status, started_at, ended_at, report)
        VALUES (${input.runId}, ${input.report.workflowId}, ${input.report.reason}, ${input.report.requestedBy},
                ${input.report.status}, ${input.report.startedAt}, ${input.report.endedAt}, ${sql.json(input.report as never)})
        ON CONFLICT (run_id) DO UPDATE
          SET status = EXCLUDED.status, ended_at = EXCLUDED.ended_at, report = EXCLUDED.report`
    } finally {
      await sql.end()
    }
  }

  /**
   * Sends a DR alert through the alert channel. The key names this activity of this run, so
   * a retry sends nothing new while each alert the workflow raises is sent once.
   */
  async function raiseAlert(input: { kind: DrAlertKind; message: string; workflowId: string }): Promise<void> {
    const { info, log } = Context.current()
    const runId = info.workflowExecution?.runId ?? 'none'
    log.error('operations alert', { ...input })
    await deps.alerts.notify({
      key: `${input.kind}:${input.workflowId}:${runId}:${info.activityId}`,
      kind: input.kind,
      severity: input.kind === 'dr-rto-warning' ? 'warning' : 'critical',
      message: input.message,
      details: { workflowId: input.workflowId, runId },
    })
  }

  return {
    identifyPointOfFailure,
    provisionEnvironment,
    triggerDeploy,
    waitForHealthyApp,
    findLatestVerifiedBackup,
    verifyAccess,
    writeDrReport,
    recordDrRun,
    raiseAlert,
  }
}

export type DrActivities = ReturnType<typeof createDrActivities>

function runDeployCommand(command: string, workflowId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { shell: true, stdio: 'ignore', env: { ...process.env, DR_WORKFLOW_ID: workflowId } })
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`deploy command exited with status ${code}`))))
  })
}
