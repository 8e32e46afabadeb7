import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import 'vitest'
import type { TestProject } from 'vitest/node'
import { ensureTemporalCli } from '../scripts/temporal-cli'
import { startTemporalDevServer, type DevServer } from '../scripts/temporal-server'
import { ensureS3Server, startS3Server, type S3Server } from '../scripts/s3-server'

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string
    temporalCliPath: string
    /** The loopback S3-compatible server (versitygw) every storage test makes its buckets on. */
    s3: { endpoint: string; accessKeyId: string; secretAccessKey: string }
  }
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

let server: DevServer | undefined
let s3Server: S3Server | undefined
let logDir: string | undefined

/** Starts one in-memory Temporal dev server and one S3-compatible server for the whole test run. */
export async function setup(project: TestProject): Promise<void> {
  const cliPath = ensureTemporalCli()
  logDir = mkdtempSync(join(tmpdir(), 'school-ops-temporal-'))
  server = await startTemporalDevServer({
    cliPath,
    port: await freePort(),
    uiPort: null,
    dbFile: null,
    logFile: join(logDir, 'temporal.log'),
  })
  project.provide('temporalAddress', server.address)
  project.provide('temporalCliPath', cliPath)

  s3Server = await startS3Server({ binary: ensureS3Server(), port: await freePort(), root: join(logDir, 's3'), accessKeyId: 'school-ops-test', secretAccessKey: randomBytes(20).toString('hex') })
  project.provide('s3', { endpoint: s3Server.endpoint, accessKeyId: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey })
}

export async function teardown(): Promise<void> {
  await server?.stop()
  await s3Server?.stop()
  if (logDir) rmSync(logDir, { recursive: true, force: true })
}
