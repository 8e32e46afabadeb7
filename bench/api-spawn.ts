import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { TargetSettings } from './api-server'

const SERVER_ENTRY = fileURLToPath(new URL('./api-server.ts', import.meta.url))
const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 10_000

/** A target server running in a child process started by this benchmark. */
export interface RunningTarget {
  kind: TargetSettings['kind']
  pid: number
  baseUrl: string
  /** Sends SIGTERM to the child, and SIGKILL to the same pid if it has not exited in 10 s. */
  stop(): Promise<void>
}

/**
 * Starts bench/api-server.ts with `node --import tsx` and waits for the port it listens on.
 * `nodeArgs` go before the script, for example `--cpu-prof`.
 */
export async function startTarget(settings: TargetSettings, nodeArgs: string[] = []): Promise<RunningTarget> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', SERVER_ENTRY], {
    env: { ...process.env, BENCH_API_TARGET: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  if (child.pid === undefined) throw new Error(`starting the ${settings.kind} server failed: no process id`)
  const pid = child.pid

  try {
    const port = await readPort(child, settings.kind)
    return { kind: settings.kind, pid, baseUrl: `http://127.0.0.1:${port}`, stop: () => stopChild(child) }
  } catch (error) {
    await stopChild(child)
    throw error
  }
}

function readPort(child: ChildProcess, kind: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${kind} server did not report its port within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS)
    const lines = createInterface({ input: child.stdout! })

    lines.once('line', (line) => {
      clearTimeout(timer)
      const port = (JSON.parse(line) as { port?: unknown }).port
      if (typeof port === 'number') resolve(port)
      else reject(new Error(`the ${kind} server wrote ${line} instead of its port`))
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`the ${kind} server exited before listening (exit code ${code}, signal ${signal})`))
    })
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return

  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  try {
    await exited
  } finally {
    clearTimeout(timer)
  }
}
