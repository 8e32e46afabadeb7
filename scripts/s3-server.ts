import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { connect } from 'node:net'
import { ensureGoTool } from './temporal-cli'

/** The S3-compatible server the tests run, pinned; its posix backend stores objects as files. */
export const VERSITYGW_MODULE = 'github.com/versity/versitygw/cmd/versitygw@v1.7.0'

/** Finds versitygw at VERSITYGW_PATH, on PATH or in the tool cache, else builds it with `go install`. */
export function ensureS3Server(): string {
  return ensureGoTool({ name: 'versitygw', module: VERSITYGW_MODULE, overrideVariable: 'VERSITYGW_PATH' })
}

export interface S3Server {
  endpoint: string
  accessKeyId: string
  secretAccessKey: string
  /** Process id of the server, so a benchmark can read its CPU time. */
  pid: number
  stop(): Promise<void>
}

/**
 * Starts versitygw on a loopback port with its posix backend in `root` (each top-level folder
 * is a bucket) and waits until it accepts connections.
 */
export async function startS3Server(options: { binary: string; port: number; root: string; accessKeyId: string; secretAccessKey: string; versioningDir?: string }): Promise<S3Server> {
  mkdirSync(options.root, { recursive: true })
  // Versioning, which object lock needs, keeps older versions in a folder of their own.
  const versioning = options.versioningDir ? ['--versioning-dir', options.versioningDir] : []
  if (options.versioningDir) mkdirSync(options.versioningDir, { recursive: true })
  const child = spawn(
    options.binary,
    // versitygw closes each connection after one request without --keep-alive, and S3 keeps them open.
    ['--access', options.accessKeyId, '--secret', options.secretAccessKey, '--port', `127.0.0.1:${options.port}`, '--keep-alive', '--quiet', 'posix', ...versioning, options.root],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))

  await waitForPort(options.port, child, () => stderr)
  return {
    endpoint: `http://127.0.0.1:${options.port}`,
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    pid: child.pid!,
    stop: () => stopProcess(child),
  }
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`versitygw exited with status ${child.exitCode}: ${output()}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => socket.end(() => resolve(true)))
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`versitygw did not listen on 127.0.0.1:${port} within 20 s: ${output()}`)
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}
