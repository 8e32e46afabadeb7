import { serve, type ServerType } from '@hono/node-server'
import type { Client } from '@temporalio/client'
import { DR_WORKFLOW_ID } from '../workflows/dr-definitions'
import { createApp } from '../api/app'
import { connectDatabase, type Sql } from '../data/db'
import { createLogger } from '../observability/logger'
import { testConfig } from './support'

/** The "new environment" the deploy hook brings up: the API on the restored database. */
export class TargetApp {
  private server: ServerType | undefined
  private sql: Sql | undefined
  /** Returns 200 to GET /api/users for everyone when set, to plant a role leak. */
  leakUsers = false

  constructor(private readonly url: string, readonly port: number) {}

  start(): void {
    if (this.server) return
    this.sql = connectDatabase(this.url, { max: 4 })
    const config = testConfig({ DATABASE_URL: this.url })
    const app = createApp({ config, sql: this.sql, temporal: async () => { throw new Error('the target app has no Temporal') }, logger: createLogger({ level: 'silent', name: 'target' }) })
    // Readiness needs Temporal in production; the drill's target only needs its database.
    const handler = async (request: Request) => {
      const path = new URL(request.url).pathname
      if (path === '/readyz') return Response.json({ status: 'ready' })
      if (this.leakUsers && path === '/api/users') return Response.json({ items: [] })
      return app.fetch(request)
    }
    this.server = serve({ fetch: handler, hostname: '127.0.0.1', port: this.port })
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    this.server = undefined
    await this.sql?.end()
    this.sql = undefined
  }
}

/**
 * Terminates a DR run that an earlier test file left running, because the DR workflow id is
 * fixed and a running one blocks every new start on the shared test server.
 */
export async function endLeftoverDrRun(client: Client): Promise<void> {
  const handle = client.workflow.getHandle(DR_WORKFLOW_ID)
  const description = await handle.describe().catch(() => null)
  if (description?.status.name === 'RUNNING') await handle.terminate('left running by an earlier test')
}

/**
 * Waits up to a minute for the last DR run to end, then terminates it. A run reports
 * `succeeded` before its last bookkeeping activities finish, so a test that stops its worker
 * right away would leave the run open, and later files could neither start nor query one.
 */
export async function finishDrRun(client: Client): Promise<void> {
  const handle = client.workflow.getHandle(DR_WORKFLOW_ID)
  const ended = await Promise.race([
    handle.result().then(() => true, () => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 60_000)),
  ])
  if (!ended) await handle.terminate('the test ended before the DR run').catch(() => undefined)
}
