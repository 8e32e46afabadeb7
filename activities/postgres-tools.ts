import { spawn, type ChildProcess } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'

/**
 * libpq environment for a connection URL, so client tools get the password without it
 * appearing in their argument list (which `ps` shows to every local user).
 */
export function libpqEnvironment(url: string, database?: string): NodeJS.ProcessEnv {
  const parsed = new URL(url)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGHOST: decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, '')) || '127.0.0.1',
    PGPORT: parsed.port || '5432',
    PGDATABASE: database ?? decodeURIComponent(parsed.pathname.slice(1)),
    PGAPPNAME: 'school-ops',
  }
  if (parsed.username) env.PGUSER = decodeURIComponent(parsed.username)
  if (parsed.password) env.PGPASSWORD = decodeURIComponent(parsed.password)

  const sslMode = parsed.searchParams.get('sslmode')
  if (sslMode) env.PGSSLMODE = sslMode
  return env
}

/** Thrown when a PostgreSQL client tool exits with a non-zero status. */
export class ToolFailedError extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const detail = stderr.trim().split('\n').slice(-3).join(' | ')
    super(`${tool} exited with status ${exitCode ?? 'signal'}: ${detail || 'no error output'}`)
    this.name = 'ToolFailedError'
  }
}

/** Thrown when a client tool is not installed on this machine. */
export class ToolMissingError extends Error {
  constructor(readonly tool: string) {
    super(`${tool} was not found on PATH; install the PostgreSQL client tools (Debian: postgresql-client)`)
    this.name = 'ToolMissingError'
  }
}

export interface ToolRun {
  child: ChildProcess
  stdout: Readable
  stdin: Writable
  /** Resolves with the collected stderr once the tool exits 0; rejects otherwise. */
  done: Promise<string>
}

export interface ToolOptions {
  env: NodeJS.ProcessEnv
  /** Called for every complete stderr line, for progress reporting. */
  onStderrLine?: (line: string) => void
  /** Accepts these exit codes as success too, for tools whose errors are classified later. */
  acceptExitCodes?: number[]
  signal?: AbortSignal
}

// Keeps the tail of stderr only, so a restore that logs millions of lines stays small.
const STDERR_LIMIT = 256 * 1024

/** Starts a PostgreSQL client tool with piped stdio. */
export function runTool(tool: string, args: string[], options: ToolOptions): ToolRun {
  const child = spawn(tool, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal })
  let stderr = ''
  let partialLine = ''

  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_LIMIT)
    if (!options.onStderrLine) return
    const lines = (partialLine + chunk).split('\n')
    partialLine = lines.pop() ?? ''
    for (const line of lines) options.onStderrLine(line)
  })

  const done = new Promise<string>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new ToolMissingError(tool) : error),
    )
    child.once('close', (code) => {
      const accepted = code === 0 || (code !== null && (options.acceptExitCodes ?? []).includes(code))
      if (accepted) resolve(stderr)
      else reject(new ToolFailedError(tool, code, stderr))
    })
  })

  return { child, stdout: child.stdout, stdin: child.stdin, done }
}

/** Runs a tool to completion and returns its stdout as text; for short outputs only. */
export async function captureTool(tool: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const run = runTool(tool, args, { env })
  run.stdin.end()
  const chunks: Buffer[] = []
  run.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
  await run.done
  return Buffer.concat(chunks).toString('utf8')
}
