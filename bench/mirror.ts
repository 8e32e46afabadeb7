/**
 * Mirror benchmark: `npm run bench:mirror -- --help`. It starts a loopback S3 server (versitygw)
 * and a Temporal dev server, fills a primary bucket with generated documents, and times our
 * mirror workflow against `rclone sync --checksum` between the same buckets: a full copy, runs
 * with nothing changed and runs after a share of the objects changed. It prints the times, CPU
 * and bytes moved per bytes changed, and writes bench/results/mirror-latest.json.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { Client, Connection } from '@temporalio/client'
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startMirror } from '../client/mirror'
import { loadConfig, type Config } from '../config'
import { connectDatabase, withDatabase } from '../data/db'
import { migrate } from '../data/migrate'
import { ensureS3Server, startS3Server, type S3Server } from '../scripts/s3-server'
import { ensureTemporalCli } from '../scripts/temporal-cli'
import { startTemporalDevServer, type DevServer } from '../scripts/temporal-server'
import { openMirrorStore, openPrivateStore } from '../storage'
import type { ObjectStore } from '../storage/object-store'
import { createWorker } from '../worker/create-worker'
import { writeJson } from './api-report'
import { BenchObjectSet } from './mirror-objects'
import { parseMirrorOptions, type MirrorBenchOptions } from './mirror-options'
import { OptionsError } from './options'
import { rcloneSync, rcloneVersion, type RcloneTarget } from './mirror-rclone'
import { formatMirrorResults, ratiosOf, summarizeSamples, type Contender, type MirrorMeasurement, type MirrorSample, type Scenario } from './mirror-report'
import { freePort, ownCpuMs, processCpuMs } from './processes'

const RESULTS_FILE = fileURLToPath(new URL('./results/mirror-latest.json', import.meta.url))
const BUCKETS = { primary: 'bench-primary', mirror: 'bench-mirror', rcloneFull: 'bench-rclone-full' }

/** Everything one benchmark run started, and the means to run each contender once. */
interface Bench {
  options: MirrorBenchOptions
  s3: S3Server
  temporal: DevServer
  client: Client
  config: Config
  objects: BenchObjectSet
  mirror: ObjectStore
  rcloneFull: ObjectStore
}

function optionsOrExit(): MirrorBenchOptions {
  try {
    return parseMirrorOptions(process.argv.slice(2))
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error
    process.stderr.write(`${error.message}\nRun npm run bench:mirror -- --help for the options.\n`)
    process.exit(2)
  }
}

async function main(): Promise<void> {
  const options = optionsOrExit()
  const rclone = rcloneVersion()
  if (!rclone) {
    process.stderr.write('rclone is not installed. Install Debian\'s package with `apt-get install -y rclone` and run the benchmark again.\n')
    process.exit(1)
  }

  const workDir = await mkdtemp(join(tmpdir(), 'bench-mirror-'))
  const cleanups: (() => Promise<unknown>)[] = [() => rm(workDir, { recursive: true, force: true })]
  try {
    const bench = await setUp(options, workDir, cleanups)
    const loadAtStart = loadavg()
    const measurements = await measureAll(bench)
    const ratios = ratiosOf(measurements)
    process.stdout.write(`\n${formatMirrorResults(measurements, ratios, options.changedPercent)}\n`)
    await writeJson(RESULTS_FILE, resultFile(bench, rclone, measurements, ratios, loadAtStart))
    process.stdout.write(`\nWrote ${RESULTS_FILE}\n`)
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => process.stderr.write(`cleanup failed: ${(error as Error).message}\n`))
  }
}

/** Starts the S3 server, the catalog database, the Temporal dev server and a worker, and fills the primary bucket. */
async function setUp(options: MirrorBenchOptions, workDir: string, cleanups: (() => Promise<unknown>)[]): Promise<Bench> {
  const s3 = await startS3Server({ binary: ensureS3Server(), port: await freePort(), root: join(workDir, 's3'), accessKeyId: 'bench-mirror', secretAccessKey: randomBytes(20).toString('hex') })
  cleanups.push(() => s3.stop())
  await createBuckets(s3, Object.values(BUCKETS))

  const catalogName = `bench_mirror_${randomBytes(4).toString('hex')}`
  const admin = connectDatabase(withDatabase(options.serverUrl, 'postgres'), { max: 1 })
  await admin`CREATE DATABASE ${admin(catalogName)}`
  cleanups.push(async () => {
    await admin`DROP DATABASE IF EXISTS ${admin(catalogName)} WITH (FORCE)`
    await admin.end()
  })

  const temporal = await startTemporalDevServer({ cliPath: ensureTemporalCli(), port: await freePort(), uiPort: null, dbFile: null, logFile: join(workDir, 'temporal.log') })
  cleanups.push(() => temporal.stop())
  const config = benchConfig(options, s3, temporal.address, withDatabase(options.serverUrl, catalogName))
  const client = await startWorker(config, cleanups)

  const primary = openPrivateStore(config)
  const objects = new BenchObjectSet(primary, { minBytes: options.minKb * 1024, maxBytes: options.maxKb * 1024 })
  process.stderr.write(`uploading ${options.objects} objects of ${options.minKb} to ${options.maxKb} KiB to ${BUCKETS.primary}\n`)
  await objects.seed(options.objects, (done) => done % 2_000 === 0 && process.stderr.write(`  ${done} uploaded\n`))
  process.stderr.write(`uploaded ${(objects.totalBytes / 1024 ** 2).toFixed(1)} MiB\n`)

  const mirror = openMirrorStore(config)!
  const rcloneFull = openMirrorStore({ ...config, mirror: { ...config.mirror!, s3Bucket: BUCKETS.rcloneFull } })!
  return { options, s3, temporal, client, config, objects, mirror, rcloneFull }
}

async function createBuckets(s3: S3Server, names: string[]): Promise<void> {
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3 })
  for (const name of names) await client.send(new CreateBucketCommand({ Bucket: name }))
  client.destroy()
}

/** The configuration of a production worker whose private storage and mirror are buckets of the S3 server. */
function benchConfig(options: MirrorBenchOptions, s3: S3Server, temporalAddress: string, databaseUrl: string): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench_mirror_${randomBytes(4).toString('hex')}`,
    STORAGE_PRIVATE_PROVIDER: 's3',
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: BUCKETS.primary,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    MIRROR_PROVIDER: 's3',
    MIRROR_S3_BUCKET: BUCKETS.mirror,
    MIRROR_PARALLELISM: String(options.parallelism),
    // Required by the configuration; the benchmark starts no API and probes nothing there.
    NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:9',
  })
}

async function startWorker(config: Config, cleanups: (() => Promise<unknown>)[]): Promise<Client> {
  Runtime.install({ logger: new DefaultLogger('WARN') })
  const catalog = connectDatabase(config.database.url, { max: 4 })
  cleanups.push(() => catalog.end())
  await migrate(catalog)

  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address! })
  const worker = await createWorker({ config, connection: nativeConnection, catalog, storage: openPrivateStore(config), mirror: openMirrorStore(config) })
  const running = worker.run()
  cleanups.push(async () => {
    worker.shutdown()
    await running
    await nativeConnection.close()
  })

  const connection = await Connection.connect({ address: config.temporal.address! })
  cleanups.push(() => connection.close())
  return new Client({ connection })
}

/**
 * Runs the scenarios in order: a full copy by each contender, then the unchanged runs in
 * alternating order, then the changed runs, in which rclone goes first because it compares
 * the mirror bucket and would find nothing to do after our run.
 */
async function measureAll(bench: Bench): Promise<MirrorMeasurement[]> {
  const samples = new Map<string, MirrorSample[]>()
  const add = (scenario: Scenario, contender: Contender, sample: MirrorSample) => {
    const key = `${scenario}/${contender}`
    samples.set(key, [...(samples.get(key) ?? []), sample])
    process.stderr.write(`  ${scenario} ${contender}: ${(sample.wallMs / 1000).toFixed(2)} s, ${sample.objectsCopied} copied\n`)
  }

  process.stderr.write('full copy\n')
  add('full', 'ours', await runOurs(bench, bench.objects.count, 0))
  add('full', 'rclone', await runRclone(bench, BUCKETS.rcloneFull, bench.objects.count, 0))
  await checkComplete(bench, bench.rcloneFull)
  await checkComplete(bench, bench.mirror)

  process.stderr.write('no change\n')
  for (let run = 0; run < bench.options.runs; run++) {
    const order: Contender[] = run % 2 === 0 ? ['ours', 'rclone'] : ['rclone', 'ours']
    for (const contender of order) add('unchanged', contender, contender === 'ours' ? await runOurs(bench, 0, 0) : await runRclone(bench, BUCKETS.mirror, 0, 0))
  }

  process.stderr.write(`${bench.options.changedPercent}% changed\n`)
  const changeCount = Math.round((bench.objects.count * bench.options.changedPercent) / 100)
  for (let run = 0; run < bench.options.runs; run++) {
    const changed = await bench.objects.change(changeCount)
    add('changed', 'rclone', await runRclone(bench, BUCKETS.mirror, changeCount, changed.bytes))
    await checkCopies(bench, changed.keys, 'rclone')
    add('changed', 'ours', await runOurs(bench, changeCount, changed.bytes))
    await checkCopies(bench, changed.keys, 'ours')
  }

  return [...samples.entries()].map(([key, entries]) => {
    const [scenario, contender] = key.split('/') as [Scenario, Contender]
    return summarizeSamples(scenario, contender, entries)
  })
}

/** Runs one mirror workflow to its end and checks that it copied exactly the expected objects. */
async function runOurs(bench: Bench, expectCopied: number, bytesChanged: number): Promise<MirrorSample> {
  const before = { own: ownCpuMs(), s3: processCpuMs(bench.s3.pid), temporal: processCpuMs(bench.temporal.process.pid!) }
  const started = performance.now()
  const handle = await startMirror(bench.client, { taskQueue: bench.config.temporal.taskQueue })
  const result = await handle.result()
  const wallMs = performance.now() - started

  if (result.status !== 'good' || result.copied !== expectCopied || result.scanned !== bench.objects.count) {
    throw new Error(`the mirror run ended ${result.status} with ${result.scanned} scanned and ${result.copied} copied; expected ${bench.objects.count} and ${expectCopied}`)
  }
  return {
    wallMs,
    clientCpuMs: ownCpuMs() - before.own,
    s3ServerCpuMs: processCpuMs(bench.s3.pid) - before.s3,
    temporalCpuMs: processCpuMs(bench.temporal.process.pid!) - before.temporal,
    objectsCopied: result.copied,
    bytesMoved: result.bytesMoved,
    bytesChanged,
  }
}

async function runRclone(bench: Bench, toBucket: string, expectCopied: number, bytesChanged: number): Promise<MirrorSample> {
  const target: RcloneTarget = bench.s3
  const s3Before = processCpuMs(bench.s3.pid)
  const flags = [`--transfers=${bench.options.parallelism}`, ...bench.options.rcloneFlags]
  const run = await rcloneSync(target, BUCKETS.primary, toBucket, flags)
  if (run.transfers !== expectCopied) throw new Error(`rclone sync copied ${run.transfers} objects; expected ${expectCopied}`)
  return {
    wallMs: run.wallMs,
    clientCpuMs: run.cpuMs,
    s3ServerCpuMs: processCpuMs(bench.s3.pid) - s3Before,
    temporalCpuMs: null,
    objectsCopied: run.transfers,
    bytesMoved: run.bytesMoved,
    bytesChanged,
  }
}

/** Checks that a destination bucket lists every primary object with the primary's size. */
async function checkComplete(bench: Bench, destination: ObjectStore): Promise<void> {
  const missing = await bench.objects.findMissingOrResized(destination)
  if (missing.length > 0) throw new Error(`${missing.length} objects are missing or of another size in the copy, for example ${missing[0]}`)
}

/** Checks by SHA-256 that the mirror bucket holds the new content of every changed object. */
async function checkCopies(bench: Bench, keys: string[], contender: Contender): Promise<void> {
  const stale = await bench.objects.findStaleCopies(bench.mirror, keys)
  if (stale.length > 0) throw new Error(`after the ${contender} run, ${stale.length} changed objects have old or no content in the mirror, for example ${stale[0]}`)
}

function resultFile(bench: Bench, rclone: string, measurements: MirrorMeasurement[], ratios: ReturnType<typeof ratiosOf>, loadAtStart: number[]) {
  return {
    recordedAt: new Date().toISOString(),
    command: `npm run bench:mirror -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem(), node: process.version, rclone },
    loadAverage: { atStart: loadAtStart, atEnd: loadavg() },
    settings: { ...bench.options, serverUrl: undefined, totalBytes: bench.objects.totalBytes },
    measurements: measurements.map(({ samples, ...summary }) => ({ ...summary, samples })),
    ratios,
  }
}

await main()
