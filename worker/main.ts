import { NativeConnection, Runtime } from '@temporalio/worker'
import { temporalAddress, loadConfigOrExit } from '../config'
import { connectDatabase } from '../data/db'
import { migrate } from '../data/migrate'
import { connectTemporal } from '../client/temporal'
import { createLogger } from '../observability/logger'
import { openPrivateStore } from '../storage'
import { createWorker } from './create-worker'
import { ensureSchedules } from './schedules'
import { PinoTemporalLogger } from './temporal-logger'

const config = loadConfigOrExit()
const logger = createLogger({ level: config.logLevel, name: 'worker' })
Runtime.install({ logger: new PinoTemporalLogger(logger) })

const catalog = connectDatabase(config.database.url, { applicationName: 'school-ops-worker' })
await migrate(catalog)

const connection = await NativeConnection.connect({ address: temporalAddress(config) })
const client = await connectTemporal(config)
await ensureSchedules(client, config, logger)
await client.connection.close()

const worker = await createWorker({ config, connection, catalog, storage: openPrivateStore(config) })
logger.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker started')

// Worker.run resolves after SIGINT or SIGTERM once running activities finished or the grace
// time ran out; the SDK installs those signal handlers itself.
try {
  await worker.run()
  logger.info('worker stopped')
} finally {
  await connection.close()
  await catalog.end()
}
