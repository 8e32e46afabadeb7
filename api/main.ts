import { serve } from '@hono/node-server'
import type { Client } from '@temporalio/client'
import { connectTemporal } from '../client/temporal'
import { loadConfigOrExit } from '../config'
import { connectDatabase } from '../data/db'
import { hashPassword } from '../auth/passwords'
import { bootstrapAdmin } from '../data/bootstrap'
import { recordEnvironmentProvider } from '../data/document-files'
import { migrate } from '../data/migrate'
import { createErrorReporter, exitOnUnhandledErrors } from '../observability/error-reporting'
import { createLogger } from '../observability/logger'
import { createApp } from './app'
import { listenForAuthChanges } from './principal-cache'

const config = loadConfigOrExit()
const logger = createLogger({ level: config.logLevel, name: 'api' })
const errorReporter = createErrorReporter({ sentry: config.monitoring.sentry, service: 'api', logger })
exitOnUnhandledErrors(errorReporter, logger)
const sql = connectDatabase(config.database.url, { applicationName: 'school-ops-api' })
await migrate(sql)

const previousProvider = await recordEnvironmentProvider(sql, config.storage.provider)
if (previousProvider !== null && previousProvider !== config.storage.provider) {
  logger.warn({ previousProvider, provider: config.storage.provider }, 'STORAGE_PROVIDER changed; new document files go to the new provider')
}

if (config.auth.bootstrap) {
  const { email, password, schoolName } = config.auth.bootstrap
  const adminId = await bootstrapAdmin(sql, { email, passwordHash: await hashPassword(password), schoolName })
  if (adminId) logger.info({ userId: adminId, email }, 'first admin created from BOOTSTRAP_ADMIN_EMAIL')
}

let temporalClient: Promise<Client> | undefined
const temporal = () => {
  // A failed connection is forgotten so the next request tries again.
  temporalClient ??= connectTemporal(config).catch((error: unknown) => {
    temporalClient = undefined
    throw error
  })
  return temporalClient
}

const principals = await listenForAuthChanges(sql, logger)
const app = createApp({ config, sql, temporal, logger, errorReporter, principalCache: principals.cache })
const server = serve({ fetch: app.fetch, hostname: config.api.host, port: config.api.port }, (info) =>
  logger.info({ url: `http://${info.address}:${info.port}` }, 'api listening'),
)

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  logger.info({ signal }, 'api stopping')
  server.close()
  await principals.stop()
  await sql.end({ timeout: 5 })
  await errorReporter.flush()
  if (temporalClient) await (await temporalClient).connection.close()
  process.exit(0)
}
process.once('SIGINT', () => void shutdown('SIGINT'))
process.once('SIGTERM', () => void shutdown('SIGTERM'))
