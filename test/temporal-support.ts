import { Client, Connection } from '@temporalio/client'
import type { Logger as TemporalLogger } from '@temporalio/common'
import { bundleWorkflowCode, NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker'
import { inject } from 'vitest'
import type { Config } from '../config'
import type { Sql } from '../data/db'
import type { ErrorReporter } from '../observability/error-reporting'
import type { ObjectStore } from '../storage/object-store'
import type { DocumentStorage } from '../storage/document-storage'
import { createWorker, WORKFLOWS_PATH } from '../worker/create-worker'
import { WORKFLOW_INTERCEPTORS_PATH } from '../worker/error-interceptors'

let runtimeInstalled = false
let bundle: Awaited<ReturnType<typeof bundleWorkflowCode>> | undefined

/** Silences the SDK's own logging below warnings, so test output shows test results. */
function quietRuntime(): void {
  if (runtimeInstalled) return
  Runtime.install({ logger: new DefaultLogger('WARN') })
  runtimeInstalled = true
}

/**
 * Sends the SDK's logs, workflow and activity logs included, to the given logger instead. Call
 * it before the first harness of the test file: the runtime is installed once per process.
 */
export function installRuntimeLogger(logger: TemporalLogger): void {
  Runtime.install({ logger })
  runtimeInstalled = true
}

/** Bundles the workflows once per test file. */
export async function workflowBundle() {
  bundle ??= await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH],
    logger: new DefaultLogger('WARN'),
  })
  return bundle
}

export interface TemporalHarness {
  client: Client
  worker: Worker
  /** Stops the worker, waiting for running activities, and closes both connections. */
  close(): Promise<void>
}

/**
 * Connects to the test run's dev server and runs a worker on the config's task queue until
 * `close` is called.
 */
export async function startHarness(
  config: Config,
  catalog: Sql,
  storage: ObjectStore,
  options: { errorReporter?: ErrorReporter; mirror?: ObjectStore; documents?: DocumentStorage } = {},
): Promise<TemporalHarness> {
  quietRuntime()
  const address = inject('temporalAddress')
  const nativeConnection = await NativeConnection.connect({ address })
  const connection = await Connection.connect({ address })
  const client = new Client({ connection, namespace: config.temporal.namespace })
  const worker = await createWorker({
    config,
    connection: nativeConnection,
    catalog,
    storage,
    workflowBundle: await workflowBundle(),
    errorReporter: options.errorReporter,
    mirror: options.mirror,
    documents: options.documents,
  })

  const running = worker.run()

  return {
    client,
    worker,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown()
      await running
      await connection.close()
      await nativeConnection.close()
    },
  }
}

/** Returns the dev server's address, as a TEMPORAL_ADDRESS value for test configs. */
export function temporalAddressForTests(): string {
  return inject('temporalAddress')
}
