import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import type { Logger } from '../observability/logger'
import type { ErrorReporter } from '../observability/error-reporting'
import type { AppEnv } from './app'

/**
 * Logs one line per request with its request id, and reports every 500 to Sentry with the
 * request id, route and the caller's roles. Bodies, headers and cookies are never attached.
 */
export function logRequests(logger: Logger, reporter: ErrorReporter) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now()
    await next()

    const principal = c.get('principal')
    const fields = {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      route: routePath(c, -1),
      status: c.res.status,
      userId: principal?.userId,
      durationMs: Math.round(performance.now() - started),
    }
    if (c.res.status >= 500) logger.error(fields, 'request failed')
    else logger.info(fields, 'request handled')

    if (c.res.status === 500) {
      reporter.captureException(c.error ?? new Error(`${fields.method} ${fields.route} answered 500`), {
        tags: {
          source: 'api',
          requestId: fields.requestId,
          route: fields.route,
          method: fields.method,
          userRole: principal ? principal.roles.join(',') : 'anonymous',
        },
      })
    }
  })
}
