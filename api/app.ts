import { OpenAPIHono } from '@hono/zod-openapi'
import { Scalar } from '@scalar/hono-api-reference'
import type { Client } from '@temporalio/client'
import { requestId, type RequestIdVariables } from 'hono/request-id'
import type { Config } from '../config'
import type { Sql } from '../data/db'
import type { Reach } from '../domain/permissions'
import { disabledErrorReporter, type ErrorReporter } from '../observability/error-reporting'
import type { Logger } from '../observability/logger'
import { openDocumentStorage } from '../storage'
import type { DocumentStorage } from '../storage/document-storage'
import { registerAdminRoutes } from './admin-routes'
import { registerAuthRoutes } from './auth-routes'
import { authenticate } from './authentication'
import { limitRequestBodies, rejectNulInJson } from './body-limits'
import { registerPasswordRoute } from './password-routes'
import { registerDocumentFileRoutes } from './document-files-routes'
import { registerDocumentRoutes } from './documents-routes'
import { registerRetentionRoutes } from './retention-routes'
import { createErrorHandler, validationHook } from './errors'
import { createDrRoutes } from './dr-routes'
import { createMirrorRoutes } from './mirror-routes'
import { documentOpsRoutes } from './ops-openapi'
import { createOpsRoutes } from './ops-routes'
import type { Principal } from './principal'
import type { PrincipalCache } from './principal-cache'
import { logRequests } from './request-logging'
import { RouteCatalog } from './route-catalog'
import { registerSchoolRecords } from './school-records'
import { registerSettingsRoutes } from './settings-routes'
import { registerStudentImportRoutes } from './student-import-routes'
import { rejectCrossSiteApiWrites } from '../web/csrf'
import { createWebRoutes } from '../web/routes'

export type AppEnv = { Variables: RequestIdVariables & { principal?: Principal; reach: Reach } }

export interface AppDependencies {
  config: Config
  sql: Sql
  /** Returns the shared Temporal client, connecting on first use so the API starts without it. */
  temporal: () => Promise<Client>
  logger: Logger
  /** Document file storage; opened from `config` when not given. */
  storage?: DocumentStorage
  /** Receives every 500 with its request id, route and role; unset means Sentry is off. */
  errorReporter?: ErrorReporter
  /** Saves the identity lookup of recently seen tokens and sessions; unset looks up every request. */
  principalCache?: PrincipalCache
}

// How long /readyz waits for each dependency before calling it unreachable.
const READINESS_TIMEOUT_MS = 2_000

/**
 * Builds the HTTP application; `app.request()` drives it in tests without a socket. The
 * catalog lists every route with its permission.
 */
export function createApp(deps: AppDependencies): OpenAPIHono<AppEnv> & { catalog: RouteCatalog } {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  const catalog = new RouteCatalog()

  app.use('*', requestId({ limitLength: 128 }))
  app.use('*', logRequests(deps.logger, deps.errorReporter ?? disabledErrorReporter))

  catalog.add({ method: 'GET', path: '/healthz', permission: 'public' })
  app.get('/healthz', (c) => c.json({ status: 'ok' }))

  catalog.add({ method: 'GET', path: '/readyz', permission: 'public' })
  app.get('/readyz', async (c) => {
    const [database, temporal] = await Promise.all([
      probe(async () => void (await deps.sql`SELECT 1`)),
      probe(async () => void (await (await deps.temporal()).workflowService.getSystemInfo({}))),
    ])
    const ready = database === 'ok' && temporal === 'ok'
    return c.json({ status: ready ? 'ready' : 'not ready', checks: { database, temporal } }, ready ? 200 : 503)
  })

  app.use('/api/*', rejectCrossSiteApiWrites(deps.config.api.publicUrl))
  app.use('/api/*', limitRequestBodies())
  app.use('/api/*', rejectNulInJson())
  app.use('/api/*', authenticate(deps.sql, deps.principalCache))
  const loginPolicy = {
    maxFailuresPerAccount: deps.config.auth.maxFailuresPerAccount,
    maxFailuresPerAddress: deps.config.auth.maxFailuresPerAddress,
    windowMinutes: deps.config.auth.windowMinutes,
    sessionHours: deps.config.auth.sessionHours,
    secureCookie: deps.config.env !== 'development',
  }
  registerAuthRoutes(app, catalog, deps.sql, loginPolicy)
  registerPasswordRoute(app, catalog, deps.sql, loginPolicy)
  registerSettingsRoutes(app, catalog, deps.sql, deps.config.storage)
  registerSchoolRecords(app, catalog, deps.sql)
  registerStudentImportRoutes(app, catalog, deps.sql)
  const storage = deps.storage ?? openDocumentStorage(deps.config)
  registerDocumentFileRoutes(app, catalog, { sql: deps.sql, storage, settings: deps.config.storage, retentionRules: deps.config.retention.rules, logger: deps.logger })
  registerDocumentRoutes(app, catalog, deps.sql, deps.config.retention.rules, { storage, logger: deps.logger })
  registerRetentionRoutes(app, catalog, deps)
  registerAdminRoutes(app, catalog, deps.sql)
  app.route('/api/ops', createOpsRoutes(deps, catalog))
  app.route('/api/ops/dr', createDrRoutes(deps, catalog))
  app.route('/api/ops/mirror', createMirrorRoutes(deps, catalog))

  documentOpsRoutes(app)
  catalog.add({ method: 'GET', path: '/openapi.json', permission: 'public' })
  app.doc31('/openapi.json', { openapi: '3.1.0', info: { title: 'school-ops API', version: '0.1.0' } })
  catalog.add({ method: 'GET', path: '/docs', permission: 'public' })
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'school-ops API' }))

  // The web app calls the JSON API above in-process, so pages follow the API's access rules.
  app.use('/app/*', authenticate(deps.sql, deps.principalCache))
  app.route('/app', createWebRoutes({ config: deps.config, logger: deps.logger, fetch: (request, env) => app.fetch(request, env) }))
  app.get('/', (c) => c.redirect('/app', 302))

  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404))
  app.onError(createErrorHandler(deps.logger))

  return Object.assign(app, { catalog })
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
