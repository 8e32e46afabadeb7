/**
 * Child process of `npm run bench:api` that serves one target on 127.0.0.1 and a port the OS
 * picks: `app` is our API from createApp, `bare` the baseline from api-bare.ts. It reads its
 * settings as JSON from BENCH_API_TARGET, writes `{"port": N}` as one line to stdout once it
 * listens, and closes its server and pool on SIGTERM. Each target gets its own process so the
 * load generator in the parent does not share its event loop.
 */
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { createApp } from '../api/app'
import { listenForAuthChanges } from '../api/principal-cache'
import { loadConfig } from '../config'
import { connectDatabase, type Sql } from '../data/db'
import { createLogger } from '../observability/logger'
import { createBareServer, type BareScope } from './api-bare'

export type TargetKind = 'app' | 'bare'

export interface TargetSettings extends BareScope {
  kind: TargetKind
  databaseUrl: string
  /** Size of the target's connection pool; the API's default in data/db.ts is 10. */
  poolSize: number
}

const HOST = '127.0.0.1'

function readSettings(): TargetSettings {
  const raw = process.env.BENCH_API_TARGET
  if (raw === undefined) throw new Error('BENCH_API_TARGET is missing: start this server through npm run bench:api')
  return JSON.parse(raw) as TargetSettings
}

async function startApp(sql: Sql, settings: TargetSettings): Promise<Server> {
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DATABASE_URL: settings.databaseUrl,
    NEXT_PUBLIC_APP_URL: `http://${HOST}:3000`,
  })
  const logger = createLogger({ level: 'silent', name: 'api' })
  // As in api/main.ts, so the benchmark measures the API as it runs in production.
  const principals = await listenForAuthChanges(sql, logger)
  const app = createApp({
    config,
    sql,
    temporal: () => Promise.reject(new Error('bench:api runs without Temporal')),
    logger,
    principalCache: principals.cache,
  })

  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: HOST, port: 0 }, () => resolve(server as Server))
  })
}

function startBare(sql: Sql, settings: TargetSettings): Promise<Server> {
  const server = createBareServer(sql, settings)
  return new Promise((resolve) => server.listen(0, HOST, () => resolve(server)))
}

async function main(): Promise<void> {
  const settings = readSettings()
  const sql = connectDatabase(settings.databaseUrl, { max: settings.poolSize, applicationName: `bench-api-${settings.kind}` })
  const server = settings.kind === 'app' ? await startApp(sql, settings) : await startBare(sql, settings)

  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error(`unexpected server address ${String(address)}`)
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`)

  process.once('SIGTERM', () => {
    server.closeAllConnections()
    server.close()
    // process.exit lets --cpu-prof write its profile, which an exit by signal would not.
    void sql.end({ timeout: 5 }).finally(() => process.exit(0))
  })
}

await main()
