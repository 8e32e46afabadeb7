import { spawn, spawnSync } from 'node:child_process'
import { open } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/** One timed run of one contender. */
export interface Sample {
  wallMs: number
  /** Peak resident set size of the measured process in KiB, or null when it could not be read. */
  maxRssKb: number | null
  /** Sessions of other users running a query on the server when the measurement started. */
  foreignSessions?: number
  /** For our code: wall time of the whole child process, Node and tsx start-up included. */
  processWallMs?: number
  /** For our restore: how the wall time splits around pg_restore, from the activity's heartbeats. */
  split?: RestoreSplit
  /** For a bare restore: wall time of the `createdb` run just before the tool, not in `wallMs`. */
  createDatabaseMs?: number
}

/** First and last heartbeat of one phase, in ms since the activity started. */
export interface HeartbeatSpan {
  firstMs: number
  lastMs: number
  count: number
}

export interface RestoreSplit {
  /** From the start to pg_restore's first progress line: recreating the target, download, --list. */
  beforePgRestoreMs: number
  /** From pg_restore's first progress line to its last. */
  pgRestoreMs: number
  /** From pg_restore's last progress line to the end: its exit, the row counts and the log line. */
  afterPgRestoreMs: number
}

const GNU_TIME = '/usr/bin/time'
const RUN_ONE = fileURLToPath(new URL('./run-one.ts', import.meta.url))

// Tool errors end up in thrown messages, so keep only the tail of a tool's stderr.
const STDERR_TAIL = 4_000

let gnuTimeAvailable: boolean | undefined

/** Checks whether GNU time is installed. Without it, the bare tools' peak RSS is reported as null. */
export function hasGnuTime(): boolean {
  gnuTimeAvailable ??= spawnSync(GNU_TIME, ['-v', 'true'], { stdio: 'ignore' }).status === 0
  return gnuTimeAvailable
}

export interface ToolRunOptions {
  env: NodeJS.ProcessEnv
  /** File to connect to the tool's stdin, as in `psql < file.sql`. */
  stdinFile?: string
  signal: AbortSignal
}

/**
 * Runs a client tool to completion under `/usr/bin/time -v` and returns its wall time, as seen
 * from here, and its peak RSS. GNU time reports the kernel's ru_maxrss, which for a tool that
 * forks (pg_restore -j) is the peak of its largest process, not the sum over its workers.
 */
export async function timeTool(tool: string, args: string[], options: ToolRunOptions): Promise<Sample> {
  const [command, commandArgs] = hasGnuTime() ? [GNU_TIME, ['-v', tool, ...args]] : [tool, args]
  const stdin = options.stdinFile === undefined ? undefined : await open(options.stdinFile, 'r')

  try {
    const started = performance.now()
    const child = spawn(command, commandArgs, {
      env: options.env,
      stdio: [stdin?.fd ?? 'ignore', 'ignore', 'pipe'],
      signal: options.signal,
    })
    const stderr = await collectUntilExit(child, `${tool} ${args.join(' ')}`)
    const wallMs = performance.now() - started
    return { wallMs, maxRssKb: parseGnuTimeRss(stderr) }
  } finally {
    await stdin?.close()
  }
}

/** Fields that run-one.ts reports in every mode, besides the mode's own. */
export interface ChildReport {
  wallMs: number
  maxRssKb: number
}

/**
 * Runs one measurement of our code in a fresh Node process (`bench/run-one.ts`), so the peak
 * RSS it reports belongs to that measurement alone. Returns the child's JSON report and the
 * wall time of the whole process, start-up included.
 */
export async function runChild<T extends ChildReport>(
  mode: string,
  input: unknown,
  options: { childEnv: NodeJS.ProcessEnv; signal: AbortSignal },
): Promise<T & { processWallMs: number }> {
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', RUN_ONE, mode, JSON.stringify(input)], {
    env: options.childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: options.signal,
  })

  let stdout = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => (stdout += chunk))
  const stderr = await collectUntilExit(child, `run-one ${mode}`)
  const processWallMs = performance.now() - started

  const lastLine = stdout.trim().split('\n').at(-1) ?? ''
  try {
    return { ...(JSON.parse(lastLine) as T), processWallMs }
  } catch {
    throw new Error(
      `run-one ${mode} printed no JSON report; stdout: ${stdout.slice(-500)}; stderr: ${stderr}`,
    )
  }
}

function collectUntilExit(child: ReturnType<typeof spawn>, description: string): Promise<string> {
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_TAIL)))

  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stderr)
      else
        reject(new Error(`${description} failed with ${signal ?? `exit status ${code}`}: ${stderr.trim()}`))
    })
  })
}

function parseGnuTimeRss(stderr: string): number | null {
  const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)
  return match?.[1] === undefined ? null : Number(match[1])
}
