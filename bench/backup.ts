/**
 * Backup benchmark: `npm run bench:backup -- --help`. For each database size it times our
 * dumpDatabase and restoreBackup activities against bare pg_dump, pg_restore and psql, prints
 * the medians and ratios, and writes them to bench/results/latest.json. docs/benchmarks.md
 * describes the method and the last recorded results.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { captureTool } from '../activities/postgres-tools'
import { connectDatabase, withDatabase } from '../data/db'
import { migrate } from '../data/migrate'
import {
  dumpPlain,
  measureBackups,
  measureRestores,
  type BackupMeasurements,
  type RestoreMeasurements,
  type SizeContext,
} from './contenders'
import { hasGnuTime, runChild, type ChildReport } from './measure'
import { HELP, OptionsError, parseOptions, redactPassword, type BenchOptions } from './options'
import type { BackupPhases, RestorePhases } from './phases'
import { formatComparison, formatSize, ratiosOf, summarize, summarizeWithCreatedb, type SizeResult } from './report'
import { BenchResources } from './resources'
import { generateSchool, schoolShape } from './school-data'

const RESULTS_FILE = fileURLToPath(new URL('./results/latest.json', import.meta.url))

interface Machine {
  cpus: number
  cpuModel: string
  memoryBytes: number
  kernel: string
  node: string
  postgresServer: string
  pgDump: string
  gnuTime: boolean
}

async function describeMachine(resources: BenchResources): Promise<Machine> {
  const [server] = await resources.admin<{ server_version: string }[]>`SHOW server_version`
  const pgDump = await captureTool('pg_dump', ['--version'], process.env)

  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    kernel: `${type()} ${release()}`,
    node: process.version,
    postgresServer: server?.server_version ?? 'unknown',
    pgDump: pgDump.trim(),
    gnuTime: hasGnuTime(),
  }
}

/** Creates the application database that contains the backup catalog, migrated like production. */
async function createCatalog(resources: BenchResources): Promise<string> {
  const name = await resources.createDatabase('app')
  const sql = connectDatabase(withDatabase(resources.serverUrl, name), { max: 1 })
  try {
    await migrate(sql)
  } finally {
    await sql.end()
  }
  return name
}

async function generateSource(resources: BenchResources, targetMb: number) {
  const name = await resources.createDatabase(`src${targetMb}`)
  const sql = connectDatabase(withDatabase(resources.serverUrl, name), { max: 2 })

  try {
    const started = performance.now()
    await generateSchool(sql, schoolShape(targetMb))
    const generateMs = performance.now() - started
    const [size] = await sql<{ bytes: string }[]>`SELECT pg_database_size(current_database()) AS bytes`
    return { name, generateMs, databaseBytes: Number(size?.bytes ?? 0) }
  } finally {
    await sql.end()
  }
}

async function measurePhases(
  context: SizeContext,
  backup: BackupMeasurements['lastBackup'],
  untouchedRestore: string,
): Promise<{ backup: BackupPhases; restore: RestorePhases }> {
  await context.resources.settle()
  const backupPhases = await runChild<BackupPhases & ChildReport>(
    'profile-backup',
    {
      serverUrl: context.resources.serverUrl,
      sourceDatabase: context.sourceDatabase,
      storeDir: context.storeDir,
    },
    context,
  )

  await context.resources.settle()
  const restorePhases = await runChild<RestorePhases & ChildReport>(
    'profile-restore',
    {
      serverUrl: context.resources.serverUrl,
      storeDir: context.storeDir,
      objectKey: backup.objectKey,
      freshlyRestoredDatabase: untouchedRestore,
      scratchDatabase: context.resources.databaseName(`scratch${context.targetMb}`),
    },
    context,
  )
  return { backup: backupPhases, restore: restorePhases }
}

interface Shared {
  options: BenchOptions
  resources: BenchResources
  signal: AbortSignal
  catalogDatabase: string
}

async function benchmarkSize(shared: Shared, targetMb: number): Promise<SizeResult> {
  const { options, resources } = shared
  const log = (line: string) => console.log(`[${targetMb} MB] ${line}`)
  const dir = await resources.tempDir(`${targetMb}mb`)
  const loadAtStart = loadavg()[0] ?? 0

  log('generating the school database')
  const source = await generateSource(resources, targetMb)
  log(
    `generated ${(source.databaseBytes / 1024 / 1024).toFixed(1)} MB in ${(source.generateMs / 1000).toFixed(1)} s`,
  )

  try {
    const context: SizeContext = {
      resources,
      signal: shared.signal,
      runs: options.runs,
      restoreJobs: options.restoreJobs,
      targetMb,
      catalogDatabase: shared.catalogDatabase,
      sourceDatabase: source.name,
      dir,
      storeDir: join(dir, 'store'),
      childEnv: { ...process.env, TMPDIR: await resources.tempRoot() },
    }
    const baseline = await runChild<ChildReport>('baseline', {}, context)
    const plainDump = await dumpPlain(context)
    const backups = await measureBackups(context, log)
    const restores = await measureRestores(context, backups.lastBackup, plainDump.file, log)

    const phases = options.phases
      ? await measurePhases(context, backups.lastBackup, restores.untouchedRestore)
      : null
    await resources.dropDatabase(restores.untouchedRestore)

    const loadAverage = { atStart: loadAtStart, atEnd: loadavg()[0] ?? 0 }
    return sizeResult({
      targetMb,
      restoreJobs: options.restoreJobs,
      source,
      baseline,
      plainDump,
      backups,
      restores,
      phases,
      loadAverage,
    })
  } finally {
    await resources.dropDatabase(source.name)
    await rm(dir, { recursive: true, force: true })
  }
}

function sizeResult(measured: {
  targetMb: number
  restoreJobs: number
  source: { generateMs: number; databaseBytes: number }
  baseline: ChildReport
  plainDump: { wallMs: number; bytes: number }
  backups: BackupMeasurements
  restores: RestoreMeasurements
  phases: SizeResult['phases']
  loadAverage: SizeResult['loadAverage']
}): SizeResult {
  const { backups, restores } = measured
  const contenders = {
    backupOurs: summarize(backups.ours),
    backupPgDump: summarize(backups.pgDump),
    restoreOurs: summarize(restores.ours),
    restoreCreatedbPgRestore: summarizeWithCreatedb(restores.pgRestore),
    restorePgRestore: summarize(restores.pgRestore),
    restorePsql: summarize(restores.psql),
  }

  return {
    targetMb: measured.targetMb,
    databaseBytes: measured.source.databaseBytes,
    tables: restores.tables,
    rows: restores.rows,
    generateMs: measured.source.generateMs,
    customDumpBytes: backups.lastBackup.sizeBytes,
    pgDumpBytes: backups.pgDumpBytes,
    plainDumpBytes: measured.plainDump.bytes,
    plainDumpMs: measured.plainDump.wallMs,
    baselineRssKb: measured.baseline.maxRssKb,
    contenders,
    ratios: ratiosOf(contenders, measured.restoreJobs),
    phases: measured.phases,
    loadAverage: measured.loadAverage,
  }
}

async function writeResults(results: object): Promise<void> {
  await mkdir(dirname(RESULTS_FILE), { recursive: true })
  const partial = `${RESULTS_FILE}.tmp`
  await writeFile(partial, `${JSON.stringify(results, null, 2)}\n`)
  await rename(partial, RESULTS_FILE)
}

async function run(options: BenchOptions, signal: AbortSignal): Promise<void> {
  const started = performance.now()
  const resources = new BenchResources(options.serverUrl)

  try {
    const machine = await describeMachine(resources)
    console.log(
      `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${(machine.memoryBytes / 1024 ** 3).toFixed(1)} GiB, ` +
        `${machine.kernel}, Node ${machine.node}, PostgreSQL ${machine.postgresServer}, ${machine.pgDump}`,
    )
    if (!machine.gnuTime)
      console.log('GNU time (/usr/bin/time) is not installed, so bare tools show no peak RSS')
    console.log(`Databases are named ${resources.prefix}_*; all are dropped at the end\n`)

    const shared: Shared = { options, resources, signal, catalogDatabase: await createCatalog(resources) }
    const sizes: SizeResult[] = []
    for (const targetMb of options.sizesMb) {
      signal.throwIfAborted()
      const size = await benchmarkSize(shared, targetMb)
      sizes.push(size)
      console.log(`\n${formatSize(size, options.restoreJobs)}\n`)
    }

    if (sizes.length > 1) console.log(`${formatComparison(sizes, options.restoreJobs)}\n`)
    const totalMs = performance.now() - started
    const recorded = { ...options, serverUrl: redactPassword(options.serverUrl) }
    await writeResults({ recordedAt: new Date().toISOString(), totalMs, machine, options: recorded, sizes })
    console.log(`Wrote ${RESULTS_FILE} after ${(totalMs / 60_000).toFixed(1)} minutes`)
  } finally {
    await resources.cleanup()
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env)
  if (options === 'help') return console.log(HELP)

  const controller = new AbortController()
  const stop = (signal: NodeJS.Signals) => {
    console.error(`${signal} received: stopping the benchmark and dropping its databases`)
    process.exitCode = 130
    controller.abort()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)

  await run(options, controller.signal)
}

try {
  await main()
} catch (error) {
  if (error instanceof OptionsError) {
    console.error(`bench:backup: ${error.message}; see --help`)
    process.exitCode = 2
  } else if (process.exitCode !== 130) {
    // An interrupted run has already printed why, and its stack trace would only show the abort.
    console.error(
      `bench:backup failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    )
    process.exitCode = 1
  }
}
