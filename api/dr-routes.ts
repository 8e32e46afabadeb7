import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { z } from 'zod'
import { decideDr, DrAlreadyRunningError, DrDecisionRejectedError, drStatus, startDr } from '../client/dr'
import { databaseName } from '../domain/backup'
import { DR_STAGES } from '../domain/dr'
import type { AppEnv } from './app'
import { principal, requirePermission } from './authentication'
import { parseOrReject, readJsonBody } from './errors'
import type { OpsRouteDependencies } from './ops-routes'
import type { RouteCatalog } from './route-catalog'

const reason = z.string().trim().min(1, 'is required').max(500)

export const startDrBody = z.strictObject({
  reason,
  /** A drill restores into another database; a real run restores the application database. */
  targetDatabase: databaseName.optional(),
})

export const decisionBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.enum(['approve', 'retry']), stage: z.enum(DR_STAGES), reason: reason.optional() }),
  z.strictObject({ kind: z.literal('skip'), stage: z.enum(DR_STAGES), reason }),
  z.strictObject({ kind: z.literal('abort'), reason }),
])

/** Creates the on-call routes of the DR run: start it, read its stages, and decide a waiting stage. */
export function createDrRoutes(deps: OpsRouteDependencies, catalog: RouteCatalog) {
  const routes = new Hono<AppEnv>()
  catalog.add({ method: 'POST', path: '/api/ops/dr', permission: 'dr:write' })
  catalog.add({ method: 'GET', path: '/api/ops/dr', permission: 'dr:read' })
  catalog.add({ method: 'POST', path: '/api/ops/dr/decisions', permission: 'dr:write' })

  routes.post('/', requirePermission('dr:write'), async (c) => {
    const body = parseOrReject(startDrBody, await readJsonBody(c))
    const handle = await startDr(await deps.temporal(), {
      reason: body.reason,
      requestedBy: await callerName(deps, principal(c).userId),
      targetDatabase: body.targetDatabase ?? deps.config.database.name,
      requestId: c.get('requestId'),
      taskQueue: deps.config.temporal.taskQueue,
    }).catch((error: unknown) => {
      if (error instanceof DrAlreadyRunningError) throw new HTTPException(409, { message: error.message })
      throw error
    })
    return c.json({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId }, 202)
  })

  routes.get('/', requirePermission('dr:read'), async (c) => {
    const report = await drStatus(await deps.temporal()).catch((error: unknown) => {
      // A query on a running run needs a worker polling its task queue.
      throw new HTTPException(503, { message: `status query of the DR run failed (${(error as Error).message}); check that a worker is running` })
    })
    if (!report) throw new HTTPException(404, { message: 'no DR run has been started' })
    return c.json(report)
  })

  routes.post('/decisions', requirePermission('dr:write'), async (c) => {
    const body = parseOrReject(decisionBody, await readJsonBody(c))
    const by = await callerName(deps, principal(c).userId)
    const message = await decideDr(await deps.temporal(), { ...body, by }).catch((error: unknown) => {
      if (error instanceof DrDecisionRejectedError) throw new HTTPException(409, { message: error.message })
      if ((error as { name?: string }).name === 'WorkflowNotFoundError') throw new HTTPException(404, { message: 'no DR run has been started' })
      throw error
    })
    return c.json({ message })
  })

  return routes
}

/** Returns the caller's email, recorded as who started or decided, or the user id when it has none. */
async function callerName(deps: OpsRouteDependencies, userId: string): Promise<string> {
  const [user] = await deps.sql<{ email: string }[]>`SELECT email FROM app_user WHERE id = ${userId}`
  return user?.email ?? `user ${userId}`
}
