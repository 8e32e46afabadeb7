import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { z } from 'zod'
import { startMirror } from '../client/mirror'
import { listMirrorRuns } from '../data/mirror-runs'
import type { AppEnv } from './app'
import { requirePermission } from './authentication'
import { parseOrReject } from './errors'
import type { OpsRouteDependencies } from './ops-routes'
import type { RouteCatalog } from './route-catalog'

export const listMirrorRunsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) })

/**
 * POST /api/ops/mirror starts a mirror run now, as `npm run ops -- mirror now` does, and
 * GET /api/ops/mirror/runs lists the recorded runs, newest first.
 */
export function createMirrorRoutes(deps: OpsRouteDependencies, catalog: RouteCatalog) {
  const routes = new Hono<AppEnv>()
  catalog.add({ method: 'POST', path: '/api/ops/mirror', permission: 'operations:write' })
  catalog.add({ method: 'GET', path: '/api/ops/mirror/runs', permission: 'operations:read' })

  routes.post('/', requirePermission('operations:write'), async (c) => {
    if (!deps.config.mirror) throw new HTTPException(409, { message: 'the mirror is off (MIRROR_PROVIDER=off); set MIRROR_PROVIDER to local or s3' })
    const handle = await startMirror(await deps.temporal(), { taskQueue: deps.config.temporal.taskQueue, requestId: c.get('requestId') }).catch((error: unknown) => {
      // Manual run ids have one-second resolution, so a double click starts one run.
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw new HTTPException(409, { message: `a mirror run started this second is already running: ${error.workflowId}` })
      throw error
    })
    return c.json({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId }, 202)
  })

  routes.get('/runs', requirePermission('operations:read'), async (c) => {
    const { limit } = parseOrReject(listMirrorRunsQuery, c.req.query())
    const runs = await listMirrorRuns(deps.sql, limit)
    return c.json({ runs: runs.map((run) => ({ ...run, startedAt: run.startedAt.toISOString(), endedAt: run.endedAt.toISOString() })) })
  })

  return routes
}
