import type { OpenAPIHono } from '@hono/zod-openapi'
import { z } from 'zod'
import type { AppEnv } from './app'
import { decisionBody, startDrBody } from './dr-routes'
import { listMirrorRunsQuery } from './mirror-routes'
import { listBackupsQuery, startBackupBody } from './ops-routes'

const json = (description: string, schema: z.ZodType = z.object({}).passthrough()) => ({ description, content: { 'application/json': { schema } } })
const error = (description: string) => json(description, z.object({ error: z.string(), requestId: z.string().optional() }))
const body = (schema: z.ZodType) => ({ body: { content: { 'application/json': { schema } }, required: true } })

const backup = z.object({
  id: z.string(),
  workflowId: z.string(),
  database: z.string(),
  trigger: z.enum(['schedule', 'manual']),
  format: z.enum(['custom', 'plain']),
  status: z.enum(['running', 'dumped', 'verified', 'failed', 'pruned']),
  objectKey: z.string().nullable(),
  sizeBytes: z.number().nullable(),
  sha256: z.string().nullable(),
  tables: z.number().nullable(),
  rows: z.number().nullable(),
  startedAt: z.string(),
  dumpedAt: z.string().nullable(),
  verifiedAt: z.string().nullable(),
  verification: z.enum(['passed', 'failed', 'pending']),
  failureReason: z.string().nullable(),
})

const mirrorRun = z.object({
  runId: z.string(),
  workflowId: z.string(),
  status: z.enum(['good', 'partial', 'refused', 'failed']),
  startedAt: z.string(),
  endedAt: z.string(),
  scanned: z.number(),
  copied: z.number(),
  skipped: z.number(),
  failed: z.number(),
  bytesMoved: z.number(),
  note: z.string().nullable(),
})

const started = z.object({ workflowId: z.string(), runId: z.string() })

/**
 * Describes the plain Hono routes of /api/ops and the health checks in the OpenAPI document,
 * which otherwise lists only routes built with createRoute.
 */
export function documentOpsRoutes(app: OpenAPIHono<AppEnv>): void {
  const register = app.openAPIRegistry.registerPath.bind(app.openAPIRegistry)

  register({ method: 'get', path: '/healthz', tags: ['Health'], summary: 'The process is up', responses: { 200: json('up') } })
  register({ method: 'get', path: '/readyz', tags: ['Health'], summary: 'Postgres and Temporal answer within 2 s', responses: { 200: json('ready'), 503: json('a dependency does not answer') } })

  register({
    method: 'post',
    path: '/api/ops/backups',
    tags: ['Operations'],
    summary: 'Start a backup of a database now',
    request: body(startBackupBody),
    responses: { 202: json('started', started.extend({ database: z.string() })), 409: error('a backup of that database started this second'), 422: error('the database is not in BACKUP_DATABASES') },
  })
  register({
    method: 'get',
    path: '/api/ops/backups',
    tags: ['Operations'],
    summary: 'The backup catalog, newest first',
    request: { query: listBackupsQuery },
    responses: { 200: json('backups', z.object({ backups: z.array(backup) })) },
  })
  register({
    method: 'post',
    path: '/api/ops/mirror',
    tags: ['Operations'],
    summary: 'Start a mirror run of private storage now',
    responses: { 202: json('started', started), 409: error('the mirror is off') },
  })
  register({
    method: 'get',
    path: '/api/ops/mirror/runs',
    tags: ['Operations'],
    summary: 'The recorded mirror runs, newest first',
    request: { query: listMirrorRunsQuery },
    responses: { 200: json('mirror runs', z.object({ runs: z.array(mirrorRun) })) },
  })
  register({ method: 'get', path: '/api/ops/status', tags: ['Operations'], summary: 'The health of each operation at a glance', responses: { 200: json('status of backups, mirror, retention, DR and uptime') } })

  register({
    method: 'post',
    path: '/api/ops/dr',
    tags: ['Disaster recovery'],
    summary: 'Start the DR run',
    request: body(startDrBody),
    responses: { 202: json('started', started), 409: error('a DR run is already active; the message names it') },
  })
  register({ method: 'get', path: '/api/ops/dr', tags: ['Disaster recovery'], summary: 'The latest DR run with its stages and attempts', responses: { 200: json('the run report'), 404: error('no DR run has been started') } })
  register({
    method: 'post',
    path: '/api/ops/dr/decisions',
    tags: ['Disaster recovery'],
    summary: 'Approve, retry or skip a waiting stage, or abort the run',
    request: body(decisionBody),
    responses: { 200: json('recorded', z.object({ message: z.string() })), 404: error('no DR run has been started'), 409: error('the waiting stage does not accept this decision') },
  })
}
