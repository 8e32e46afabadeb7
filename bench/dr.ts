/**
 * DR drill benchmark: `npm run bench:dr -- --help`. It builds an application database of a
 * chosen size, backs it up with the real workflow, then restores that backup twice: once by
 * bare `pg_restore -j2` into a new database, once by the whole DR run (probe, provision,
 * deploy, restore, verify access) on a worker of its own. It prints both times, their ratio,
 * and the DR time against the 4-hour RTO, and writes bench/results/dr-latest.json.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker'
import { Client, Connection, type WorkflowHandle } from '@temporalio/client'
import { randomBytes } from 'node:crypto'
import { createServer as createHttpServer, type Server } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer as createNetServer } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import postgres from 'postgres'
import { startBackup } from '../client/backups'
import { startDr } from '../client/dr'
import { loadConfig } from '../config'
import { connectDatabase, withDatabase, type Sql } from '../data/db'
import { migrate } from '../data/migrate'
import { RTO_MS, type DrReport } from '../domain/dr'
import { ensureTemporalCli } from '../scripts/temporal-cli'
import { startTemporalDevServer } from '../scripts/temporal-server'
import { LocalObjectStore } from '../storage/local'
import { TargetApp } from '../test/dr-support'
import { createWorker } from '../worker/create-worker'
import { seedBenchSchool } from './api-seed'
import { generateSchool, schoolShape } from './school-data'
import { timeBareRestore } from './dr-bare'
import { activityTimeline, formatTimeline } from './dr-timeline'
import { writeJson } from './api-report'
import { median } from './report'

const RESULTS_FILE = fileURLToPath(new URL('./results/dr-latest.json', import.meta.url))
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const AIM_RATIO = 1.2

const HELP = `Usage: npm run bench:dr -- [options]

Backs up a generated school database, then times a bare pg_restore -j2 of that backup and a
whole DR run restoring the same backup, and writes bench/results/dr-latest.json.

Options:
  --size <MB>         size of the bulk archive data added to the app database (default 400)
  --students <n>      students in the app's own tables (default 5000)
  --runs <n>          restores of each kind, alternating which goes first (default 3)
  --help              print this text

BENCH_DATABASE_URL sets the PostgreSQL server (default ${SERVER_URL}). The benchmark creates
databases named bench_dr_<random>_* there and drops them at the end.`

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))))
    })
  })
}

/** Creates the app database: migrations, one school with users and students, and bulk archive tables. */
async function buildSource(admin: Sql, name: string, sizeMb: number, students: number): Promise<number> {
  await admin`CREATE DATABASE ${admin(name)}`
  const sql = connectDatabase(withDatabase(SERVER_URL, name), { max: 2 })
  try {
    await migrate(sql)
    await seedBenchSchool(sql, students)
    await sql`CREATE SCHEMA archive`
    // The generator's tables go to their own schema, beside the app's tables of the same names.
    const archive = postgres(withDatabase(SERVER_URL, name), { max: 1, onnotice: () => {}, connection: { search_path: 'archive' } })
    await generateSchool(archive, schoolShape(sizeMb)).finally(() => archive.end())
    const [size] = await sql<{ bytes: string }[]>`SELECT pg_database_size(current_database()) AS bytes`
    return Number(size?.bytes)
  } finally {
    await sql.end()
  }
}

function options() {
  const { values } = parseArgs({ options: { size: { type: 'string' }, students: { type: 'string' }, runs: { type: 'string' }, help: { type: 'boolean', default: false } } })
  if (values.help) {
    process.stdout.write(`${HELP}\n`)
    process.exit(0)
  }
  const sizeMb = Number(values.size ?? 400)
  const students = Number(values.students ?? 5000)
  if (!Number.isInteger(sizeMb) || sizeMb < 10 || sizeMb > 20_000) throw new Error(`--size must be an integer from 10 to 20000 MB, got ${values.size}`)
  if (!Number.isInteger(students) || students < 40 || students > 200_000) throw new Error(`--students must be an integer from 40 to 200000, got ${values.students}`)
  const runs = Number(values.runs ?? 3)
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error(`--runs must be an integer from 1 to 20, got ${values.runs}`)
  return { sizeMb, students, runs }
}

async function main(): Promise<void> {
  const { sizeMb, students, runs } = options()
  const prefix = `bench_dr_${randomBytes(4).toString('hex')}`
  const names = { source: `${prefix}_src`, bare: `${prefix}_bare`, drill: `${prefix}_drill` }
  const admin = connectDatabase(withDatabase(SERVER_URL, 'postgres'), { max: 1 })
  const workDir = await mkdtemp(join(tmpdir(), 'bench-dr-'))
  const cleanups: (() => Promise<unknown>)[] = [() => rm(workDir, { recursive: true, force: true })]

  try {
    process.stderr.write(`building ${names.source}: ${students} students and about ${sizeMb} MB of archive tables\n`)
    cleanups.push(() => admin`DROP DATABASE IF EXISTS ${admin(names.source)} WITH (FORCE)`)
    const databaseBytes = await buildSource(admin, names.source, sizeMb, students)

    const temporalPort = await freePort()
    const temporal = await startTemporalDevServer({ cliPath: ensureTemporalCli(), port: temporalPort, uiPort: null, dbFile: null, logFile: join(workDir, 'temporal.log') })
    cleanups.push(() => temporal.stop())

    const [targetPort, hookPort] = [await freePort(), await freePort()]
    const target = new TargetApp(withDatabase(SERVER_URL, names.drill), targetPort)
    cleanups.push(() => target.stop())
    const hook: Server = createHttpServer((_request, response) => {
      target.start()
      response.writeHead(202).end('deploying')
    })
    await new Promise<void>((resolve) => hook.listen(hookPort, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => hook.close(resolve)))

    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: withDatabase(SERVER_URL, names.source),
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: `${prefix}_tq`,
      STORAGE_LOCAL_ROOT: join(workDir, 'storage'),
      BACKUP_DATABASES: names.source,
      NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:9',
      DR_TARGET_APP_URL: `http://127.0.0.1:${targetPort}`,
      DR_DEPLOY_HOOK_URL: `http://127.0.0.1:${hookPort}/deploy`,
      DR_HEALTH_TIMEOUT_SECONDS: '120',
    })
    Runtime.install({ logger: new DefaultLogger('WARN') })
    const catalog = connectDatabase(config.database.url, { max: 4 })
    cleanups.push(() => catalog.end())
    const nativeConnection = await NativeConnection.connect({ address: temporal.address })
    const storage = new LocalObjectStore(config.storage.localRoot)
    const worker = await createWorker({ config, connection: nativeConnection, catalog, storage })
    const running = worker.run()
    cleanups.push(async () => {
      worker.shutdown()
      await running
      await nativeConnection.close()
    })
    const connection = await Connection.connect({ address: temporal.address })
    cleanups.push(() => connection.close())
    const client = new Client({ connection })

    process.stderr.write('backing up and verifying with the backup workflow\n')
    const backup = await (await startBackup(client, { database: names.source, taskQueue: config.temporal.taskQueue })).result()

    cleanups.push(() => admin`DROP DATABASE IF EXISTS ${admin(names.bare)} WITH (FORCE)`)
    cleanups.push(() => admin`DROP DATABASE IF EXISTS ${admin(names.drill)} WITH (FORCE)`)
    const dumpFile = join(config.storage.localRoot, ...backup.objectKey.split('/'))
    // Both restored databases go before each run: autovacuum works through a freshly restored
    // gigabyte for a while, and would take CPU from whichever run came next.
    const dropRestored = async () => {
      await admin`DROP DATABASE IF EXISTS ${admin(names.bare)} WITH (FORCE)`
      await admin`DROP DATABASE IF EXISTS ${admin(names.drill)} WITH (FORCE)`
      await admin`CHECKPOINT`
    }
    const bareRestore = async () => {
      await dropRestored()
      process.stderr.write(`restoring with bare pg_restore -j2 into ${names.bare}\n`)
      return timeBareRestore(SERVER_URL, names.bare, dumpFile)
    }
    const drRun = async () => {
      // Each run starts from a lost database and a stopped app, as the first one does.
      await target.stop()
      await dropRestored()
      process.stderr.write(`running the DR workflow into ${names.drill}\n`)
      return timeDrRun(client, names.drill, config.temporal.taskQueue)
    }

    const loadAtStart = loadavg()
    const samples: { bareMs: number; dr: DrSample }[] = []
    for (let run = 0; run < runs; run++) {
      // The order alternates, so load that rises or falls during the benchmark hits both.
      if (run % 2 === 0) {
        const bareMs = await bareRestore()
        samples.push({ bareMs, dr: await drRun() })
      } else {
        const dr = await drRun()
        samples.push({ bareMs: await bareRestore(), dr })
      }
    }

    const bareMs = median(samples.map((sample) => sample.bareMs))
    const medianDr = [...samples].sort((a, b) => a.dr.ms - b.dr.ms)[Math.floor(samples.length / 2)]!.dr
    const timeline = await activityTimeline(medianDr.handle)
    const summary = summarize({ databaseBytes, sizeMb, students, bareMs, drMs: median(samples.map((sample) => sample.dr.ms)), report: medianDr.report })
    // Other load on the machine mostly adds time, so the fastest runs are the less noisy ratio.
    const fastestRatio = Math.min(...samples.map((sample) => sample.dr.ms)) / Math.min(...samples.map((sample) => sample.bareMs))
    process.stdout.write(`DR / bare, fastest runs  ${fastestRatio.toFixed(3)}\n`)
    process.stdout.write(`\nActivities of the median DR run, from its start:\n${formatTimeline(timeline).join('\n')}\n`)
    const result = {
      ...summary,
      runs,
      fastestRatio,
      samples: samples.map((sample) => ({ bareRestoreMs: sample.bareMs, drRunMs: sample.dr.ms })),
      loadAverage: { atStart: loadAtStart, atEnd: loadavg() },
      activities: timeline,
    }
    await writeJson(RESULTS_FILE, result)
    process.stdout.write(`\nWrote ${RESULTS_FILE}\n`)
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => process.stderr.write(`cleanup failed: ${(error as Error).message}\n`))
    await admin.end()
  }
}

interface DrSample {
  ms: number
  report: DrReport
  handle: WorkflowHandle
}

/** Runs one whole DR run into the target and returns its time from start to result. */
async function timeDrRun(client: Client, targetDatabase: string, taskQueue: string): Promise<DrSample> {
  const started = performance.now()
  const handle = await startDr(client, { reason: 'bench:dr drill', requestedBy: 'bench', targetDatabase, taskQueue })
  const report = await handle.result()
  const ms = performance.now() - started
  // The DR workflow id is fixed, so only a handle with the run id reads this run's history later.
  const run = client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId)
  if (report.status !== 'succeeded') throw new Error(`the DR run ended ${report.status}: ${JSON.stringify(report.stages.map((stage) => [stage.stage, stage.status, stage.attempts.at(-1)?.error]))}`)
  return { ms, report, handle: run }
}

function stageSeconds(report: DrReport): Record<string, number> {
  return Object.fromEntries(
    report.stages.map((stage) => [stage.stage, stage.startedAt && stage.endedAt ? (Date.parse(stage.endedAt) - Date.parse(stage.startedAt)) / 1000 : 0]),
  )
}

function summarize(run: { databaseBytes: number; sizeMb: number; students: number; bareMs: number; drMs: number; report: DrReport }) {
  const ratio = run.drMs / run.bareMs
  const stages = stageSeconds(run.report)
  const lines = [
    `Database: ${(run.databaseBytes / 1e6).toFixed(0)} MB (${run.students} students, ${run.sizeMb} MB archive target); ${cpus().length} CPUs`,
    '',
    `bare pg_restore -j2 (createdb + restore)   ${(run.bareMs / 1000).toFixed(2)} s (median)`,
    `DR run, start to verified                 ${(run.drMs / 1000).toFixed(2)} s (median)`,
    ...Object.entries(stages).map(([stage, seconds]) => `  ${stage.padEnd(40)}${seconds.toFixed(2)} s (median run)`),
    '',
    `DR / bare pg_restore   ${ratio.toFixed(3)}  (aim <= ${AIM_RATIO}: ${ratio <= AIM_RATIO ? 'met' : 'missed'})`,
    `DR / 4-hour RTO        ${((run.drMs / RTO_MS) * 100).toFixed(3)} %`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  return {
    recordedAt: new Date().toISOString(),
    databaseBytes: run.databaseBytes,
    settings: { sizeMb: run.sizeMb, students: run.students },
    bareRestoreMs: run.bareMs,
    drRunMs: run.drMs,
    drRecoveryTimeMs: run.report.recoveryTimeMs,
    stageSeconds: stages,
    ratio,
    aimRatio: AIM_RATIO,
    rtoFraction: run.drMs / RTO_MS,
  }
}

await main()
