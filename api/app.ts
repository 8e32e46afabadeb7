import type { Client } from '@temporalio/client'
import { Hono } from 'hono'
import { requestId, type RequestIdVariables } from 'hono/request-id'
import type { Config } from '../config'
import type { Sql } from '../data/db'
import type { Logger } from '../observability/logger'
import { createErrorHandler } from './errors'
import { createOpsRoutes } from './ops-routes'

export type AppEnv = { Variables: RequestIdVariables }

export interface AppDependencies {
  config: Config
  sql: Sql
  /** Returns the shared Temporal client, connecting on first use so the API starts without it. */
  temporal: () => Promise<Client>
  logger: Logger
}

// How long /readyz waits for each dependency before calling it unreachable.
const READINESS_TIMEOUT_MS = 2_000

/** Builds the HTTP application; `app.request()` drives it in tests without a socket. */
export function createApp(deps: AppDependencies) {
  const app = new Hono<AppEnv>()

  app.use('*', requestId({ limitLength: 128 }))
  app.use('*', async (c, next) => {
    const started = performance.now()
    await next()
    deps.logger.info(
      { requestId: c.get('requestId'), method: c.req.method, path: c.req.path, status: c.res.status, durationMs: Math.round(performance.now() - started) },
      'request handled',
    )
  })

  app.get('/healthz', (c) => c.json({ status: 'ok' }))

  app.get('/readyz', async (c) => {
    const [database, temporal] = await Promise.all([
      probe(async () => void (await deps.sql`SELECT 1`)),
      probe(async () => void (await (await deps.temporal()).workflowService.getSystemInfo({}))),
    ])
    const ready = database === 'ok' && temporal === 'ok'
    return c.json({ status: ready ? 'ready' : 'not ready', checks: { database, temporal } }, ready ? 200 : 503)
  })

  app.route('/api/ops', createOpsRoutes(deps))
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404))
  app.onError(createErrorHandler(deps.logger))

  return app
}

async function probe(check: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${READINESS_TIMEOUT_MS} ms`), READINESS_TIMEOUT_MS)
  })

  try {
    return await Promise.race([check().then(() => 'ok'), timeout])
  } catch (error) {
    return `unreachable: ${(error as Error).message}`
  } finally {
    clearTimeout(timer)
  }
}
