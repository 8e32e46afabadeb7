/**
 * Runs the worker as worker/main.ts does, minus migrations and schedules, on the workflow
 * bundle that FAULT_WORKFLOW_BUNDLE names. The fault-injection test builds that bundle once,
 * so a worker restarted after SIGKILL polls within seconds instead of bundling again. With
 * FAULT_WORKER_STANDBY=1 it gets ready and then waits for a line on stdin before it polls, so
 * the test can replace a killed worker at once.
 */
import { NativeConnection, Runtime } from '@temporalio/worker'
import { temporalConnectionOptions } from '../client/temporal'
import { loadConfigOrExit } from '../config'
import { connectDatabase } from '../data/db'
import { createLogger } from '../observability/logger'
import { openMirrorStore, openPrivateStore } from '../storage'
import { createWorker } from '../worker/create-worker'
import { PinoTemporalLogger } from '../worker/temporal-logger'

const codePath = process.env.FAULT_WORKFLOW_BUNDLE
if (!codePath) throw new Error('FAULT_WORKFLOW_BUNDLE is not set; set it to a bundle written by bundleWorkflowCode')

const config = loadConfigOrExit()
const logger = createLogger({ level: config.logLevel, name: 'worker' })
Runtime.install({ logger: new PinoTemporalLogger(logger) })
const catalog = connectDatabase(config.database.url, { applicationName: 'school-ops-fault-worker' })
const connection = await NativeConnection.connect(temporalConnectionOptions(config))
const storage = openPrivateStore(config)
// A killed worker's workflows wait this long for its sticky queue before another worker replays them.
const worker = await createWorker({ config, connection, catalog, storage, mirror: openMirrorStore(config), workflowBundle: { codePath }, stickyQueueScheduleToStartTimeout: '1 second' })

if (process.env.FAULT_WORKER_STANDBY === '1') {
  await new Promise((resolve) => process.stdin.once('data', resolve))
  process.stdin.pause()
}
try {
  await worker.run()
} finally {
  await connection.close()
  await catalog.end()
}
