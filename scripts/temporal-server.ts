import { Connection } from '@temporalio/client'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { REGISTERED_SEARCH_ATTRIBUTES } from '../domain/search-attributes'

const CLI_TYPE_NAMES: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
}

export interface DevServerOptions {
  cliPath: string
  port: number
  /** Web UI port; null starts the server headless. */
  uiPort: number | null
  /** SQLite file that keeps workflow state across restarts; null keeps it in memory. */
  dbFile: string | null
  /** File that receives the server's own output. */
  logFile: string
}

export interface DevServer {
  address: string
  uiUrl: string | null
  process: ChildProcess
  stop(): Promise<void>
}

/**
 * Starts `temporal server start-dev` on loopback with the project's search attributes and
 * resolves once its frontend answers a health check.
 */
export async function startTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn']
  args.push(...(options.uiPort === null ? ['--headless'] : ['--ui-port', String(options.uiPort)]))
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true })
    args.push('--db-filename', options.dbFile)
  }
  for (const attribute of REGISTERED_SEARCH_ATTRIBUTES) {
    args.push('--search-attribute', `${attribute.name}=${CLI_TYPE_NAMES[attribute.type]}`)
  }

  mkdirSync(dirname(options.logFile), { recursive: true })
  const output = openSync(options.logFile, 'a')
  // Its own process group: Ctrl-C reaches the worker first, and the server stops only after
  // the worker drained, when up.ts stops it.
  const child = spawn(options.cliPath, args, { stdio: ['ignore', output, output], detached: true })
  const address = `127.0.0.1:${options.port}`

  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal dev server exited with status ${code}; see ${options.logFile}`))),
  )
  await Promise.race([waitForFrontend(address), exited])

  return {
    address,
    uiUrl: options.uiPort === null ? null : `http://127.0.0.1:${options.uiPort}`,
    process: child,
    stop: () => stopProcess(child),
  }
}

async function waitForFrontend(address: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown

  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1 second' })
      await connection.workflowService.getSystemInfo({})
      await connection.close()
      return
    } catch (error) {
      lastError = error
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  throw new Error(`temporal dev server at ${address} did not answer within ${timeoutMs} ms`, { cause: lastError })
}

/** Sends SIGTERM, then SIGKILL after five seconds, and resolves when the process is gone. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return

  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await gone
  clearTimeout(timer)
}
