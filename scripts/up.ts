import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync } from 'node:fs'
import { Connection } from '@temporalio/client'
import { loadConfigOrExit, temporalAddress, type Config } from '../config'
import { connectDatabase, ensureDatabaseExists } from '../data/db'
import { migrate } from '../data/migrate'
import { ensureTemporalCli } from './temporal-cli'
import { startTemporalDevServer, stopProcess, type DevServer } from './temporal-server'

if (!existsSync('.env')) {
  copyFileSync('.env.example', '.env')
  console.error('created .env from .env.example; edit it to change ports, storage or schedules')
}

const config = loadConfigOrExit()
const children: ChildProcess[] = []
let temporal: DevServer | undefined
let stopping = false

async function prepareDatabase(): Promise<void> {
  if (await ensureDatabaseExists(config.database.url)) console.error(`created database ${config.database.name}`)
  const sql = connectDatabase(config.database.url, { max: 1 })
  try {
    const applied = await migrate(sql)
    if (applied.length > 0) console.error(`applied migrations ${applied.join(', ')}`)
  } finally {
    await sql.end()
  }
}

async function isAnswering(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: '1 second' })
    await connection.close()
    return true
  } catch {
    return false
  }
}

/** Starts the dev server unless TEMPORAL_ADDRESS names one; returns the UI URL if known. */
async function prepareTemporal(config: Config): Promise<string | null> {
  if (config.temporal.address) {
    console.error(`using the Temporal server at ${config.temporal.address}`)
    return null
  }
  const address = temporalAddress(config)
  if (await isAnswering(address)) {
    console.error(`a Temporal server is already running at ${address}; using it`)
    return `http://127.0.0.1:${config.temporal.uiPort}`
  }

  temporal = await startTemporalDevServer({
    cliPath: ensureTemporalCli(),
    port: config.temporal.devPort,
    uiPort: config.temporal.uiPort,
    dbFile: '.data/temporal/temporal.db',
    logFile: '.data/logs/temporal.log',
  })
  console.error(`started the Temporal dev server at ${temporal.address} (log: .data/logs/temporal.log)`)
  return temporal.uiUrl
}

function startChild(name: string, entry: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: 'inherit', env: process.env })
  child.once('exit', (code, signal) => {
    if (stopping) return
    console.error(`${name} exited (${signal ?? `status ${code}`}); stopping everything`)
    void stopAll(1)
  })
  children.push(child)
  return child
}

async function waitForApi(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/readyz`).catch(() => null)
    if (response?.ok) return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`the API at ${url} did not become ready within ${timeoutMs / 1000} s`)
}

async function stopAll(exitCode: number): Promise<never> {
  stopping = true
  // The API goes first so no new work arrives, then the worker drains, then Temporal stops.
  for (const child of [...children].reverse()) await stopProcess(child)
  if (temporal) await temporal.stop()
  process.exit(exitCode)
}

process.on('SIGINT', () => void stopAll(0))
process.on('SIGTERM', () => void stopAll(0))

try {
  await prepareDatabase()
  const uiUrl = await prepareTemporal(config)
  startChild('worker', 'worker/main.ts')
  startChild('api', 'api/main.ts')

  const apiUrl = `http://${config.api.host}:${config.api.port}`
  await waitForApi(apiUrl)
  console.error(
    [
      '',
      `  App:          ${config.api.publicUrl}`,
      `  API health:   ${apiUrl}/readyz`,
      `  Temporal UI:  ${uiUrl ?? 'see your Temporal server'}`,
      '',
      '  Press Ctrl-C to stop everything started here.',
      '',
    ].join('\n'),
  )
} catch (error) {
  console.error(`start failed: ${(error as Error).message}`)
  await stopAll(1)
}
