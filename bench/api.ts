/**
 * API throughput benchmark: `npm run bench:api -- --help`. It loads one school into a database
 * of its own and serves our API next to a bare node:http server that sends the same SQL. Both
 * are measured with autocannon. The run prints requests/s, latency percentiles and the ratio
 * api/bare, and writes them to bench/results/api-latest.json. docs/benchmarks.md describes the
 * method and the last recorded results.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type autocannon from 'autocannon'
import { connectDatabase, withDatabase, type Sql } from '../data/db'
import { migrate } from '../data/migrate'
import { buildCases, checkEquivalence, type BenchCase } from './api-cases'
import { backendPids, cpuMillisBetween, snapshotCpu } from './api-cpu'
import { measureLoad, type LoadSettings, type LoadTarget } from './api-load'
import { AIM_RATIO, compare, failedRuns, formatComparisons, formatResults, writeJson, type CaseResult, type TargetName } from './api-report'
import { seedBenchSchool, type BenchData } from './api-seed'
import type { TargetKind, TargetSettings } from './api-server'
import { startTarget, type RunningTarget } from './api-spawn'

const RESULTS_FILE = fileURLToPath(new URL('./results/api-latest.json', import.meta.url))
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const HELP = `Usage: npm run bench:api -- [options]

Measures GET /api/students (list and get, as admin and as teacher) against a bare node:http
server that runs the same SQL, and writes bench/results/api-latest.json.

Options:
  --duration <s>      measured seconds per run (default 10, 1 to 120)
  --warmup <s>        warm-up seconds before each measured run (default 2, 0 to 30)
  --connections <n>   concurrent HTTP connections (default 10, 1 to 200)
  --students <n>      students to generate (default 5200, 40 to 200000)
  --pool <n>          PostgreSQL pool size of each server (default 10, as data/db.ts)
  --cpu-prof          write a V8 CPU profile of the API server to a folder in the temp dir
  --help              print this text

BENCH_DATABASE_URL sets the PostgreSQL server (default ${SERVER_URL}).
The benchmark creates the database bench_api_<random> there and drops it at the end.`

interface Options extends LoadSettings {
  students: number
  poolSize: number
  cpuProfile: boolean
}

function integerOption(values: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const raw = values[name]
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${String(raw)}`)
  }
  return value
}

function parseOptions(args: string[]): Options | 'help' {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      students: { type: 'string' },
      pool: { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) return 'help'

  return {
    durationSeconds: integerOption(values, 'duration', 10, 1, 120),
    warmupSeconds: integerOption(values, 'warmup', 2, 0, 30),
    connections: integerOption(values, 'connections', 10, 1, 200),
    students: integerOption(values, 'students', 5200, 40, 200_000),
    poolSize: integerOption(values, 'pool', 10, 1, 50),
    cpuProfile: values['cpu-prof'] === true,
  }
}

async function describeMachine(admin: Sql) {
  const [server] = await admin<{ server_version: string }[]>`SHOW server_version`
  const [busy] = await admin<{ sessions: number }[]>`
    SELECT count(*)::int AS sessions FROM pg_stat_activity
     WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()`

  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    freeH: spawnSync('free', ['-h'], { encoding: 'utf8' }).stdout?.trimEnd() ?? 'free is not installed',
    kernel: `${type()} ${release()}`,
    node: process.version,
    postgresServer: server?.server_version ?? 'unknown',
    loadAverageAtStart: loadavg(),
    // Other sessions running a query when the run starts share the CPUs with the benchmark.
    activeSessionsAtStart: busy?.sessions ?? 0,
  }
}

async function prepareDatabase(url: string, students: number): Promise<BenchData> {
  const sql = connectDatabase(url, { max: 2, applicationName: 'bench-api-seed' })
  try {
    await migrate(sql)
    const started = performance.now()
    const data = await seedBenchSchool(sql, students)
    console.log(`Generated ${JSON.stringify(data.counts)} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    return data
  } finally {
    await sql.end()
  }
}

interface RunContext {
  options: Options
  admin: Sql
  signal: AbortSignal
  /** The autocannon run in progress, so SIGINT can stop it. */
  current: autocannon.Instance | undefined
}

/** Measures one target and the CPU time its server process and its database sessions used. */
async function measureTarget(context: RunContext, benchCase: BenchCase, target: RunningTarget, load: LoadTarget): Promise<CaseResult> {
  const applicationName = `bench-api-${target.kind}`
  let pids: number[] = []
  let before = { server: new Map<number, number>(), database: new Map<number, number>(), client: process.cpuUsage() }

  const result = await measureLoad(load, context.options, {
    onStart: (instance) => (context.current = instance),
    beforeMeasuring: async () => {
      pids = await backendPids(context.admin, applicationName)
      before = { server: await snapshotCpu([target.pid]), database: await snapshotCpu(pids), client: process.cpuUsage() }
    },
  })

  const client = process.cpuUsage(before.client)
  const server = await snapshotCpu([target.pid])
  const database = await snapshotCpu([...new Set([...pids, ...(await backendPids(context.admin, applicationName))])])
  const perRequest = (millis: number) => (result.responses > 0 ? millis / result.responses : Number.NaN)
  const targetName: TargetName = target.kind === 'app' ? 'api' : 'bare'

  return {
    case: benchCase.name,
    target: targetName,
    path: load.paths[0] ?? '',
    load: result,
    cpuMsPerRequest: {
      server: before.server.size > 0 ? perRequest(cpuMillisBetween(before.server, server)) : null,
      database: before.database.size > 0 ? perRequest(cpuMillisBetween(before.database, database)) : null,
      loadGenerator: perRequest((client.user + client.system) / 1000),
    },
  }
}

async function measureCases(context: RunContext, cases: BenchCase[], targets: Record<TargetKind, RunningTarget>): Promise<CaseResult[]> {
  const results: CaseResult[] = []

  for (const benchCase of cases) {
    for (const [kind, load] of [['app', benchCase.api], ['bare', benchCase.bare]] as const) {
      context.signal.throwIfAborted()
      const result = await measureTarget(context, benchCase, targets[kind], load)
      context.signal.throwIfAborted()
      results.push(result)
      console.log(`${benchCase.name} ${result.target}: ${result.load.requestsPerSecond.toFixed(0)} req/s, p99 ${result.load.latencyMs.p99.toFixed(2)} ms`)
    }
  }
  return results
}

async function startTargets(options: Options, databaseUrl: string, data: BenchData, running: RunningTarget[], profileDir: string | null) {
  const settings = (kind: TargetKind): TargetSettings => ({
    kind,
    databaseUrl,
    poolSize: options.poolSize,
    schoolId: data.schoolId,
    teacherStaffId: data.teacher.staffId,
  })

  const profileArgs = profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]
  const app = await startTarget(settings('app'), profileArgs)
  running.push(app)
  const bare = await startTarget(settings('bare'))
  running.push(bare)
  return { app, bare }
}

function report(results: CaseResult[]) {
  const comparisons = compare(results)
  console.log(`\n${formatResults(results)}\n\n${formatComparisons(comparisons)}\n`)

  const failed = failedRuns(results)
  for (const result of failed) {
    console.error(
      `FAILED: ${result.case} ${result.target} had ${result.load.errors} errors, ${result.load.timeouts} timeouts ` +
        `and ${result.load.non2xx} non-2xx responses (status counts ${JSON.stringify(result.load.statusCounts)})`,
    )
  }
  if (failed.length > 0) process.exitCode = 1
  return comparisons
}

async function stopAll(running: RunningTarget[]): Promise<void> {
  for (const target of running) {
    try {
      await target.stop()
    } catch (error) {
      console.error(`cleanup: stopping the ${target.kind} server (pid ${target.pid}) failed: ${String(error)}`)
    }
  }
}

async function dropDatabase(admin: Sql, name: string): Promise<void> {
  try {
    await admin`DROP DATABASE IF EXISTS ${admin(name)} WITH (FORCE)`
  } catch (error) {
    console.error(`cleanup: dropping database ${name} failed; drop it by hand: ${String(error)}`)
  }
}

async function run(options: Options, signal: AbortSignal): Promise<void> {
  const admin = connectDatabase(withDatabase(SERVER_URL, 'postgres'), { max: 1, applicationName: 'bench-api-admin' })
  const databaseName = `bench_api_${randomBytes(5).toString('hex')}`
  const databaseUrl = withDatabase(SERVER_URL, databaseName)
  const running: RunningTarget[] = []
  let created = false

  try {
    const machine = await describeMachine(admin)
    console.log(`Machine: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, PostgreSQL ${machine.postgresServer}`)
    console.log(`Load average ${machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')}, ${machine.activeSessionsAtStart} other active sessions`)

    await admin`CREATE DATABASE ${admin(databaseName)}`
    created = true
    const data = await prepareDatabase(databaseUrl, options.students)

    const profileDir = options.cpuProfile ? await mkdtemp(join(tmpdir(), 'bench-api-profile-')) : null
    const targets = await startTargets(options, databaseUrl, data, running, profileDir)
    const cases = buildCases(data, targets.app.baseUrl, targets.bare.baseUrl)
    for (const benchCase of cases) await checkEquivalence(benchCase)

    const runs = cases.length * 2
    console.log(`Running ${runs} loads of ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s with ${options.connections} connections`)
    const context: RunContext = { options, admin, signal, current: undefined }
    signal.addEventListener('abort', () => context.current?.stop())
    const results = await measureCases(context, cases, targets)

    const comparisons = report(results)
    const settings = { ...options, aimRatio: AIM_RATIO }
    await writeJson(RESULTS_FILE, { recordedAt: new Date().toISOString(), machine, loadAverageAtEnd: loadavg(), settings, data: data.counts, results, comparisons })
    console.log(`Wrote ${RESULTS_FILE}`)
    if (profileDir !== null) console.log(`The API server's CPU profile is written to ${profileDir} when it stops`)
  } finally {
    await stopAll(running)
    if (created) await dropDatabase(admin, databaseName)
    await admin.end()
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (options === 'help') return console.log(HELP)

  const controller = new AbortController()
  process.once('SIGINT', () => {
    console.error('SIGINT received: stopping the load, the servers and dropping the database')
    process.exitCode = 130
    controller.abort()
  })
  await run(options, controller.signal)
}

try {
  await main()
} catch (error) {
  console.error(`bench:api failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  process.exitCode ||= 1
}
