/**
 * Retention benchmark: `npm run bench:retention -- --help`. It generates school documents,
 * then counts the expired ones three ways in one run. The ways are one plain SQL query, the
 * judging loop the activities use (rows read in batches and judged in TypeScript), and the
 * whole dry-run workflow on a dev server. It prints documents judged per second for each and writes
 * bench/results/retention-latest.json.
 */
import { Client, Connection } from '@temporalio/client'
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startRetentionRun } from '../client/retention'
import { loadConfig } from '../config'
import { connectDatabase, withDatabase } from '../data/db'
import { migrate } from '../data/migrate'
import { retentionRowsAfter, verdictOf } from '../data/retention'
import { ensureTemporalCli } from '../scripts/temporal-cli'
import { startTemporalDevServer } from '../scripts/temporal-server'
import { LocalObjectStore } from '../storage/local'
import { seedSchool } from '../test/accounts-support'
import { countExpiredInSql, seedRetentionDocuments } from '../test/retention-support'
import { freePort } from '../test/global-setup'
import { createWorker } from '../worker/create-worker'
import { writeJson } from './api-report'

const RESULTS_FILE = fileURLToPath(new URL('./results/retention-latest.json', import.meta.url))
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const AS_OF = '2026-12-04'

const HELP = `Usage: npm run bench:retention -- [options]

Generates school documents, then counts the expired ones with one SQL query, with the
activities' judging loop and with the dry-run workflow, and prints documents judged per second.

Options:
  --documents <n>     documents to generate (default 1000000)
  --batch <n>         documents per batch activity (default 5000)
  --help              print this text

BENCH_DATABASE_URL sets the PostgreSQL server (default ${SERVER_URL}). The benchmark creates a
database named bench_retention_<random> there and drops it at the end.`

function options(): { documents: number; batch: number } {
  const { values } = parseArgs({ options: { documents: { type: 'string', default: '1000000' }, batch: { type: 'string', default: '5000' }, help: { type: 'boolean', default: false } } })
  if (values.help) {
    process.stdout.write(`${HELP}\n`)
    process.exit(0)
  }
  const documents = Number(values.documents)
  const batch = Number(values.batch)
  if (!Number.isInteger(documents) || documents < 1) throw new Error(`--documents "${values.documents}" must be a whole number above 0`)
  if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) throw new Error(`--batch "${values.batch}" must be a whole number from 1 to 100000`)
  return { documents, batch }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now()
  const value = await work()
  return { value, ms: performance.now() - started }
}

async function main(): Promise<void> {
  const { documents, batch } = options()
  const name = `bench_retention_${randomBytes(4).toString('hex')}`
  const admin = connectDatabase(withDatabase(SERVER_URL, 'postgres'), { max: 1 })
  const workDir = await mkdtemp(join(tmpdir(), 'bench-retention-'))
  const cleanups: (() => Promise<unknown>)[] = [() => rm(workDir, { recursive: true, force: true }), () => admin`DROP DATABASE IF EXISTS ${admin(name)} WITH (FORCE)`]

  try {
    await admin`CREATE DATABASE ${admin(name)}`
    const sql = connectDatabase(withDatabase(SERVER_URL, name), { max: 4 })
    cleanups.push(() => sql.end())
    await migrate(sql)
    const schoolId = await seedSchool(sql)
    process.stderr.write(`generating ${documents} documents in ${name}\n`)
    await seedRetentionDocuments(sql, schoolId, documents)

    const temporal = await startTemporalDevServer({ cliPath: ensureTemporalCli(), port: await freePort(), uiPort: null, dbFile: null, logFile: join(workDir, 'temporal.log') })
    cleanups.push(() => temporal.stop())
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', DATABASE_URL: withDatabase(SERVER_URL, name), TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: `${name}_tq`, STORAGE_LOCAL_ROOT: join(workDir, 'storage'), NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:9' })
    Runtime.install({ logger: new DefaultLogger('WARN') })
    const nativeConnection = await NativeConnection.connect({ address: temporal.address })
    const worker = await createWorker({ config, connection: nativeConnection, catalog: sql, storage: new LocalObjectStore(config.storage.localRoot) })
    const running = worker.run()
    cleanups.push(async () => {
      worker.shutdown()
      await running
      await nativeConnection.close()
    })
    const connection = await Connection.connect({ address: temporal.address })
    cleanups.push(() => connection.close())
    const client = new Client({ connection })

    process.stderr.write('counting with one SQL query\n')
    const bare = await timed(() => countExpiredInSql(sql, schoolId, AS_OF))
    process.stderr.write('counting with the judging loop\n')
    const loop = await timed(async () => {
      let expired = 0
      let afterId: string | null = null
      for (;;) {
        const rows = await retentionRowsAfter(sql, schoolId, afterId, batch)
        for (const row of rows) if (verdictOf(row, config.retention.rules, AS_OF).status === 'expired') expired++
        afterId = rows.at(-1)?.id ?? afterId
        if (rows.length < batch) return expired
      }
    })
    process.stderr.write('counting with the dry-run workflow\n')
    const workflow = await timed(async () => (await (await startRetentionRun(client, { taskQueue: config.temporal.taskQueue, school: { id: schoolId, slug: 'bench' }, dryRun: true, asOf: AS_OF, batchSize: batch })).result()).counts.expired)

    if (loop.value !== bare.value || workflow.value !== bare.value) throw new Error(`the counts differ: SQL ${bare.value}, loop ${loop.value}, workflow ${workflow.value}`)
    const perSecond = (ms: number) => Math.round(documents / (ms / 1000))
    const result = {
      documents,
      batch,
      expired: bare.value,
      cpus: cpus().length,
      seconds: { sql: bare.ms / 1000, loop: loop.ms / 1000, workflow: workflow.ms / 1000 },
      documentsPerSecond: { sql: perSecond(bare.ms), loop: perSecond(loop.ms), workflow: perSecond(workflow.ms) },
      workflowToSql: workflow.ms / bare.ms,
    }
    process.stdout.write(
      [
        `${documents} documents, ${bare.value} expired on ${AS_OF}; batches of ${batch}; ${cpus().length} CPUs`,
        `  one SQL query      ${result.seconds.sql.toFixed(2)} s  ${result.documentsPerSecond.sql} documents/s`,
        `  judging loop       ${result.seconds.loop.toFixed(2)} s  ${result.documentsPerSecond.loop} documents/s`,
        `  dry-run workflow   ${result.seconds.workflow.toFixed(2)} s  ${result.documentsPerSecond.workflow} documents/s`,
        `  workflow / SQL     ${result.workflowToSql.toFixed(1)}x`,
        '',
      ].join('\n'),
    )
    await writeJson(RESULTS_FILE, result)
    process.stdout.write(`Wrote ${RESULTS_FILE}\n`)
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => process.stderr.write(`cleanup failed: ${(error as Error).message}\n`))
    await admin.end()
  }
}

await main()
