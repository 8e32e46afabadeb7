import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { z } from 'zod'
import { startBackup } from '../client/backups'
import type { Config } from '../config'
import { listBackups, type BackupRecord } from '../data/backup-catalog'
import type { Sql } from '../data/db'
import { databaseName, type BackupStatus } from '../domain/backup'
import type { AppEnv } from './app'
import { parseOrReject, readJsonBody } from './errors'
import { requirePermission } from './authentication'
import { registerOpsStatusRoute } from './ops-status'
import type { RouteCatalog } from './route-catalog'

export const startBackupBody = z.strictObject({ database: databaseName.optional() })

export const listBackupsQuery = z.strictObject({
  database: databaseName.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})

export interface OpsRouteDependencies {
  config: Config
  sql: Sql
  temporal: () => Promise<Client>
}

/** Routes under /api/ops, for ops and on-call accounts and their API tokens. */
export function createOpsRoutes(deps: OpsRouteDependencies, catalog: RouteCatalog) {
  const routes = new Hono<AppEnv>()
  catalog.add({ method: 'POST', path: '/api/ops/backups', permission: 'operations:write' })
  catalog.add({ method: 'GET', path: '/api/ops/backups', permission: 'operations:read' })

  routes.post('/backups', requirePermission('operations:write'), async (c) => {
    const body = parseOrReject(startBackupBody, await readJsonBody(c))
    const database = body.database ?? deps.config.database.name
    if (!deps.config.backup.databases.includes(database)) {
      throw new HTTPException(422, { message: `database "${database}" is not in BACKUP_DATABASES` })
    }

    const handle = await startBackup(await deps.temporal(), {
      database,
      taskQueue: deps.config.temporal.taskQueue,
      requestId: c.get('requestId'),
    }).catch((error: unknown) => {
      // Manual backup ids have one-second resolution, so a double click starts one backup.
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        throw new HTTPException(409, { message: `a backup of "${database}" started this second is already running: ${error.workflowId}` })
      }
      throw error
    })
    return c.json({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, database }, 202)
  })

  routes.get('/backups', requirePermission('operations:read'), async (c) => {
    const query = parseOrReject(listBackupsQuery, c.req.query())
    const backups = await listBackups(deps.sql, { database: query.database, limit: query.limit })
    return c.json({ backups: backups.map(presentBackup) })
  })

  registerOpsStatusRoute(routes, deps, catalog)
  return routes
}

const VERIFICATION_BY_STATUS: Record<Exclude<BackupStatus, 'pruned'>, 'passed' | 'failed' | 'pending'> = {
  running: 'pending',
  dumped: 'pending',
  verified: 'passed',
  failed: 'failed',
}

/** Returns the restore drill's verdict; a pruned backup was verified exactly when it has a verification time. */
function verificationOf(backup: BackupRecord): 'passed' | 'failed' | 'pending' {
  if (backup.status !== 'pruned') return VERIFICATION_BY_STATUS[backup.status]
  return backup.verifiedAt ? 'passed' : 'failed'
}

function presentBackup(backup: BackupRecord) {
  return {
    id: backup.id,
    workflowId: backup.workflowId,
    database: backup.databaseName,
    trigger: backup.trigger,
    format: backup.format,
    status: backup.status,
    objectKey: backup.objectKey,
    sizeBytes: backup.sizeBytes,
    sha256: backup.sha256,
    tables: backup.tableCount,
    rows: backup.totalRows,
    startedAt: backup.startedAt.toISOString(),
    dumpedAt: backup.dumpedAt?.toISOString() ?? null,
    verifiedAt: backup.verifiedAt?.toISOString() ?? null,
    verification: verificationOf(backup),
    failureReason: backup.failureReason,
  }
}
