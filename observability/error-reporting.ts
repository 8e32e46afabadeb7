import * as Sentry from '@sentry/node'
import type { Config } from '../config'
import type { Logger } from './logger'
import { scrubValue } from './scrub'

export type ReportLevel = 'info' | 'warning' | 'error' | 'fatal'

/** Tags Sentry indexes and shows on the event, such as `requestId`, `route` or `activityType`. */
export type ReportTags = Record<string, string | number | boolean | null | undefined>

export interface ReportContext {
  tags?: ReportTags
  /** Small, non-secret facts shown with the event; scrubbed like everything else. */
  extra?: Record<string, unknown>
  /** Groups events into one Sentry issue, for example one per alert key. */
  fingerprint?: string[]
}

/** Sends errors and alerts to Sentry; a reporter without a DSN drops them. */
export interface ErrorReporter {
  readonly enabled: boolean
  captureException(error: unknown, context?: ReportContext): void
  captureMessage(message: string, level: ReportLevel, context?: ReportContext): void
  /** Waits until queued events are sent or the timeout passes; false on timeout. */
  flush(timeoutMs?: number): Promise<boolean>
}

export const disabledErrorReporter: ErrorReporter = {
  enabled: false,
  captureException: () => undefined,
  captureMessage: () => undefined,
  flush: async () => true,
}

/**
 * Creates the process's Sentry reporter, or a disabled one (with one log line saying so)
 * when SENTRY_DSN is unset. It uses a client of its own instead of `Sentry.init`, so nothing
 * global is patched and tests can run reporters side by side. Request bodies, headers and
 * cookies are never attached, and `beforeSend` scrubs secrets from what is.
 */
export function createErrorReporter(options: {
  sentry: Config['monitoring']['sentry']
  service: string
  logger: Logger
}): ErrorReporter {
  const { sentry, service, logger } = options
  if (!sentry.dsn) {
    logger.info({ service }, 'Sentry is off because SENTRY_DSN is not set')
    return disabledErrorReporter
  }

  const client = new Sentry.NodeClient({
    dsn: sentry.dsn,
    release: sentry.release,
    environment: sentry.environment,
    transport: Sentry.makeNodeTransport,
    stackParser: Sentry.defaultStackParser,
    integrations: [Sentry.linkedErrorsIntegration()],
    sendDefaultPii: false,
    beforeSend: (event) => {
      delete event.request
      delete event.user
      return scrubValue(event)
    },
  })
  const scope = new Sentry.Scope()
  scope.setClient(client)
  scope.setTag('service', service)
  client.init()
  logger.info({ service, release: sentry.release, environment: sentry.environment }, 'Sentry is on')

  const scoped = (context: ReportContext | undefined) => {
    const eventScope = scope.clone()
    for (const [key, value] of Object.entries(context?.tags ?? {})) {
      if (value !== undefined && value !== null) eventScope.setTag(key, value)
    }
    if (context?.extra) eventScope.setExtras(context.extra)
    if (context?.fingerprint) eventScope.setFingerprint(context.fingerprint)
    return eventScope
  }

  return {
    enabled: true,
    captureException: (error, context) => void scoped(context).captureException(error),
    captureMessage: (message, level, context) => void scoped(context).captureMessage(message, level),
    flush: async (timeoutMs = 2_000) => client.flush(timeoutMs),
  }
}

/**
 * Logs, reports and exits on an uncaught exception or unhandled rejection, as Node would
 * without a handler, after giving Sentry up to two seconds to send the event.
 */
export function exitOnUnhandledErrors(reporter: ErrorReporter, logger: Logger): void {
  const handle = (mechanism: string) => (error: unknown) => {
    logger.fatal({ err: error, mechanism }, 'unhandled error, exiting')
    reporter.captureException(error, { tags: { mechanism } })
    void reporter.flush(2_000).finally(() => process.exit(1))
  }
  process.on('uncaughtException', handle('uncaughtException'))
  process.on('unhandledRejection', handle('unhandledRejection'))
}
