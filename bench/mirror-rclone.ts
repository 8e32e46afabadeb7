import { spawn, spawnSync } from 'node:child_process'

// rclone reads a remote's settings from RCLONE_CONFIG_<NAME>_<OPTION> variables. Two remotes
// stand for the two stores: between buckets of one remote rclone would copy server-side, which
// a mirror on a second store cannot do.
const REMOTES = { from: 'primary', to: 'mirror' } as const
const STDERR_TAIL = 8_000

/** The S3 server and keys rclone reaches, the same the mirror uses. */
export interface RcloneTarget {
  endpoint: string
  accessKeyId: string
  secretAccessKey: string
}

/** One measured `rclone sync`. */
export interface RcloneRun {
  wallMs: number
  /** User plus system CPU time of rclone, from GNU time. */
  cpuMs: number
  /** Bytes rclone reports it transferred. */
  bytesMoved: number
  /** Objects rclone copied. */
  transfers: number
  /** Objects rclone compared and found equal or copied. */
  checks: number
}

/** Returns rclone's version line, or null when rclone is not on PATH. */
export function rcloneVersion(): string | null {
  const result = spawnSync('rclone', ['version'], { encoding: 'utf8' })
  if (result.status !== 0) return null
  return result.stdout.split('\n')[0]?.trim() ?? null
}

/**
 * Builds rclone's whole environment: the S3 remotes `primary:` and `mirror:` from variables and
 * an empty config path, so no config file is read or written. Nothing else is inherited,
 * because AWS_* variables such as AWS_CA_BUNDLE change how rclone's S3 client connects.
 */
export function rcloneEnvironment(target: RcloneTarget): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, RCLONE_CONFIG: '' }
  for (const remote of Object.values(REMOTES)) {
    const prefix = `RCLONE_CONFIG_${remote.toUpperCase()}_`
    Object.assign(env, {
      [`${prefix}TYPE`]: 's3',
      [`${prefix}PROVIDER`]: 'Other',
      [`${prefix}ENV_AUTH`]: 'false',
      [`${prefix}ACCESS_KEY_ID`]: target.accessKeyId,
      [`${prefix}SECRET_ACCESS_KEY`]: target.secretAccessKey,
      [`${prefix}ENDPOINT`]: target.endpoint,
      [`${prefix}REGION`]: 'us-east-1',
      [`${prefix}FORCE_PATH_STYLE`]: 'true',
    })
  }
  return env
}

/**
 * Runs `rclone sync --checksum` from one bucket to another under GNU time and returns its
 * wall time, CPU time and the final statistics rclone logs.
 */
export async function rcloneSync(target: RcloneTarget, from: string, to: string, extraFlags: string[] = []): Promise<RcloneRun> {
  // A stats interval longer than any run prints the statistics once, when rclone ends.
  const logging = ['--use-json-log', '--log-level', 'INFO', '--stats', '24h']
  const args = ['-f', '%e %U %S', 'rclone', 'sync', '--checksum', ...extraFlags, ...logging, `${REMOTES.from}:${from}`, `${REMOTES.to}:${to}`]
  const started = performance.now()
  const stderr = await runToExit('/usr/bin/time', args, rcloneEnvironment(target))
  const wallMs = performance.now() - started

  const lines = stderr.trim().split('\n')
  const [, user, system] = (lines.at(-1) ?? '').split(' ').map(Number)
  const stats = lastStats(lines)
  if (user === undefined || system === undefined || Number.isNaN(user + system)) throw new Error(`GNU time printed no CPU times; rclone's output ended: ${stderr.slice(-500)}`)
  if (!stats) throw new Error(`rclone logged no final statistics; its output ended: ${stderr.slice(-500)}`)
  if (stats.errors > 0) throw new Error(`rclone sync counted ${stats.errors} errors; its output ended: ${stderr.slice(-1000)}`)
  return { wallMs, cpuMs: (user + system) * 1000, bytesMoved: stats.bytes, transfers: stats.transfers, checks: stats.checks }
}

/** Finds the last JSON log line that carries rclone's statistics. */
function lastStats(lines: string[]): { bytes: number; transfers: number; checks: number; errors: number } | null {
  for (const line of [...lines].reverse()) {
    const entry = parseJsonLine(line)
    const stats = entry?.stats
    if (stats) return { bytes: stats.bytes ?? 0, transfers: stats.transfers ?? 0, checks: stats.checks ?? 0, errors: stats.errors ?? 0 }
  }
  return null
}

type LogEntry = { stats?: { bytes?: number; transfers?: number; checks?: number; errors?: number } }

function parseJsonLine(line: string): LogEntry | null {
  if (!line.startsWith('{')) return null
  try {
    return JSON.parse(line) as LogEntry
  } catch {
    // The first kept line may be cut off by the tail limit.
    return null
  }
}

function runToExit(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8')
    // Only the tail is kept: a full copy logs one line per object.
    child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_TAIL)))
    child.once('error', reject)
    child.once('close', (code) => (code === 0 ? resolve(stderr) : reject(new Error(`rclone sync exited with status ${code}: ${stderr.slice(-1000)}`))))
  })
}
