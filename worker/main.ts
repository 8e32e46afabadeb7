import { NativeConnection, Runtime } from '@temporalio/worker'
import { sweepRestoreWorkDirs } from '../activities/restore'
import { loadConfigOrExit } from '../config'
import { connectDatabase } from '../data/db'
import { migrate } from '../data/migrate'
import { connectTemporal, temporalConnectionOptions } from '../client/temporal'
import { createErrorReporter, exitOnUnhandledErrors } from '../observability/error-reporting'
import { createLogger } from '../observability/logger'
import { openDocumentStorage, openMirrorStore, openPrivateStore } from '../storage'
import { LocalObjectStore } from '../storage/local'
import { createWorker } from './create-worker'
import { ensureSchedules } from './schedules'
import { PinoTemporalLogger } from './temporal-logger'

const config = loadConfigOrExit()
const logger = createLogger({ level: config.logLevel, name: 'worker' })
Runtime.install({ logger: new PinoTemporalLogger(logger) })
const errorReporter = createErrorReporter({ sentry: config.monitoring.sentry, service: 'worker', logger })
exitOnUnhandledErrors(errorReporter, logger)

const catalog = connectDatabase(config.database.url, { applicationName: 'school-ops-worker' })
await migrate(catalog)

const connection = await NativeConnection.connect(temporalConnectionOptions(config))
const client = await connectTemporal(config)
await ensureSchedules(client, config, logger)
await client.connection.close()

const storage = openPrivateStore(config)
// A worker killed mid-upload leaves half-written files; a day is far longer than any upload.
const swept = storage instanceof LocalObjectStore ? await storage.sweepPartials(24 * 3_600_000) : 0
if (swept > 0) logger.info({ removed: swept }, 'removed half-written files left by an earlier crash')
const sweptRestores = await sweepRestoreWorkDirs(24 * 3_600_000)
if (sweptRestores > 0) logger.info({ removed: sweptRestores }, 'removed restore downloads left by an earlier crash')

const worker = await createWorker({ config, connection, catalog, storage, mirror: openMirrorStore(config), documents: openDocumentStorage(config), errorReporter })
logger.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker started')

// Worker.run resolves after SIGINT or SIGTERM once running activities finished or the grace
// time ran out; the SDK installs those signal handlers itself.
try {
  await worker.run()
  logger.info('worker stopped')
} finally {
  await errorReporter.flush()
  await connection.close()
  await catalog.end()
}
