// Child process for the unhandled-error test: installs the handlers the API and worker use,
// then throws or rejects without a handler, as UNHANDLED_MODE selects.
import { createErrorReporter, exitOnUnhandledErrors } from '../observability/error-reporting'
import { createLogger } from '../observability/logger'

const logger = createLogger({ level: 'info', name: 'child' })
const sentry = { dsn: process.env.SENTRY_DSN ?? null, environment: 'child-test', release: 'school-ops@child' }
const reporter = createErrorReporter({ sentry, service: 'api', logger })
exitOnUnhandledErrors(reporter, logger)

const failure = new Error('lost the connection to postgres://app:child-secret@db.internal/school_ops')
if (process.env.UNHANDLED_MODE === 'rejection') {
  void Promise.reject(failure)
} else {
  setTimeout(() => {
    throw failure
  }, 10)
}
