import { rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { libpqEnvironment } from '../activities/postgres-tools'
import type { DumpResult } from '../activities/backup'
import {
  runChild,
  timeTool,
  type ChildReport,
  type HeartbeatSpan,
  type RestoreSplit,
  type Sample,
} from './measure'
import type { BenchResources } from './resources'

/** Settings and resources shared by every measurement of one size. */
export interface SizeContext {
  resources: BenchResources
  signal: AbortSignal
  runs: number
  restoreJobs: number
  targetMb: number
  catalogDatabase: string
  sourceDatabase: string
  /** Folder of this size's dumps and of LocalObjectStore's objects. */
  dir: string
  storeDir: string
  /** Environment of run-one.ts children, with TMPDIR pointing into the benchmark's temp folder. */
  childEnv: NodeJS.ProcessEnv
}

/** Writes the plain SQL dump that the psql contender restores. Its time is recorded, not compared. */
export async function dumpPlain(context: SizeContext): Promise<Sample & { file: string; bytes: number }> {
  const file = join(context.dir, 'plain.sql')
  await context.resources.settle()
  const sample = await timeTool(
    'pg_dump',
    ['--format=plain', `--file=${file}`],
    toolOptions(context, context.sourceDatabase),
  )
  return { ...sample, file, bytes: (await stat(file)).size }
}

export interface BackupMeasurements {
  ours: Sample[]
  pgDump: Sample[]
  /** The last backup our code made, which the restores use. */
  lastBackup: DumpResult & { backupId: string }
  pgDumpBytes: number
}

type BackupReport = ChildReport & DumpResult & { processWallMs: number }

/** Runs our backup and bare pg_dump alternately, `runs` times each, each after `settle`. */
export async function measureBackups(
  context: SizeContext,
  log: (line: string) => void,
): Promise<BackupMeasurements> {
  const ours: Sample[] = []
  const pgDump: Sample[] = []
  let lastBackup: BackupMeasurements['lastBackup'] | undefined
  let pgDumpBytes = 0

  for (let run = 1; run <= context.runs; run++) {
    const order = run % 2 === 1 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const)

    for (const contender of order) {
      const foreignSessions = await context.resources.settle()
      if (contender === 'ours') {
        const backupId = `bench-${context.targetMb}mb-${run}`
        const report = await runChild<BackupReport>('backup', backupInput(context, backupId), context)
        const { wallMs, maxRssKb, processWallMs } = report
        ours.push({ wallMs, maxRssKb, processWallMs, foreignSessions })
        lastBackup = { ...report, backupId }
      } else {
        const file = join(context.dir, `pg_dump-${run}.dump`)
        const sample = await timeTool(
          'pg_dump',
          ['--format=custom', `--file=${file}`],
          toolOptions(context, context.sourceDatabase),
        )
        pgDump.push({ ...sample, foreignSessions })
        pgDumpBytes = (await stat(file)).size
        await rm(file)
      }
      log(
        `backup ${run}/${context.runs} ${contender}: ${describe((contender === 'ours' ? ours : pgDump).at(-1))}`,
      )
    }
  }

  if (!lastBackup) throw new Error(`no backup was measured with --runs=${context.runs}; pass at least 2`)
  return { ours, pgDump, lastBackup, pgDumpBytes }
}

function backupInput(context: SizeContext, backupId: string) {
  return {
    serverUrl: context.resources.serverUrl,
    catalogDatabase: context.catalogDatabase,
    sourceDatabase: context.sourceDatabase,
    storeDir: context.storeDir,
    backupId,
  }
}

export interface RestoreMeasurements {
  ours: Sample[]
  pgRestore: Sample[]
  psql: Sample[]
  tables: number
  rows: number
  /** A database the last pg_restore filled and nothing has read, kept for the phase timings. */
  untouchedRestore: string
}

interface RestoreReport extends ChildReport {
  tables: number
  rows: number
  rowCountMismatch: string | null
  ignoredErrors: number
  heartbeats: Record<string, HeartbeatSpan>
  processWallMs: number
}

type RestoreContender = 'ours' | 'pgRestore' | 'psql'

/**
 * Restores the same backup with our activity, bare pg_restore and (from a plain dump) psql,
 * `runs` times each, alternating the order. Every restore goes into a new database that is
 * dropped right afterwards, so autovacuum on it cannot slow the next measurement.
 */
export async function measureRestores(
  context: SizeContext,
  backup: BackupMeasurements['lastBackup'],
  plainDumpFile: string,
  log: (line: string) => void,
): Promise<RestoreMeasurements> {
  const samples: Record<RestoreContender, Sample[]> = { ours: [], pgRestore: [], psql: [] }
  const customDumpFile = join(context.storeDir, ...backup.objectKey.split('/'))
  let counted: RestoreReport | undefined
  let untouchedRestore: string | undefined

  for (let run = 1; run <= context.runs; run++) {
    const forward: RestoreContender[] = ['ours', 'pgRestore', 'psql']
    const order = run % 2 === 1 ? forward : forward.reverse()

    for (const contender of order) {
      const foreignSessions = await context.resources.settle()
      const suffix = `r${context.targetMb}_${run}_${contender.toLowerCase()}`

      // Every contender's target is new. Ours creates it within its timing, and a bare restore
      // runs `createdb` first, as the customer's steps do, timed apart from the tool.
      const target = context.resources.databaseName(suffix)

      if (contender === 'ours') {
        counted = await restoreOurs(context, backup.backupId, target)
        samples.ours.push({
          wallMs: counted.wallMs,
          maxRssKb: counted.maxRssKb,
          processWallMs: counted.processWallMs,
          foreignSessions,
          split: splitRestore(counted),
        })
      } else {
        const file = contender === 'pgRestore' ? customDumpFile : plainDumpFile
        samples[contender].push({ ...(await restoreBare(context, contender, file, target)), foreignSessions })
      }
      log(`restore ${run}/${context.runs} ${contender}: ${describe(samples[contender].at(-1))}`)

      // The last pg_restore target stays for the phase timings, which count its rows first.
      const keep = contender === 'pgRestore' && run === context.runs
      if (keep) untouchedRestore = target
      else await context.resources.dropDatabase(target)
    }
  }

  if (!counted || !untouchedRestore)
    throw new Error(`no restore was measured with --runs=${context.runs}; pass at least 2`)
  return { ...samples, tables: counted.tables, rows: counted.rows, untouchedRestore }
}

async function restoreOurs(context: SizeContext, backupId: string, target: string): Promise<RestoreReport> {
  const report = await runChild<RestoreReport>(
    'restore',
    {
      serverUrl: context.resources.serverUrl,
      catalogDatabase: context.catalogDatabase,
      sourceDatabase: context.sourceDatabase,
      storeDir: context.storeDir,
      backupId,
      targetDatabase: target,
      jobs: context.restoreJobs,
    },
    context,
  )
  if (report.rowCountMismatch !== null)
    throw new Error(`our restore into ${target} lost rows: ${report.rowCountMismatch}`)
  return report
}

// The activity heartbeats 'restoring' for each progress line pg_restore writes to stderr.
function splitRestore(report: RestoreReport): RestoreSplit | undefined {
  const span = report.heartbeats.restoring
  if (!span) return undefined
  return {
    beforePgRestoreMs: span.firstMs,
    pgRestoreMs: span.lastMs - span.firstMs,
    afterPgRestoreMs: report.wallMs - span.lastMs,
  }
}

/** Runs `createdb` for the target, then restores into it with the bare tool, timing each. */
async function restoreBare(
  context: SizeContext,
  contender: 'pgRestore' | 'psql',
  file: string,
  target: string,
): Promise<Sample> {
  const created = await timeTool('createdb', [target], toolOptions(context, 'postgres'))
  const options = toolOptions(context, target)
  let restored: Sample
  if (contender === 'pgRestore') {
    restored = await timeTool('pg_restore', [`-j${context.restoreJobs}`, '--no-owner', '--no-acl', '-d', target, file], options)
  } else {
    // ON_ERROR_STOP only turns a failed statement into a non-zero exit; the work is the same.
    restored = await timeTool('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-d', target], { ...options, stdinFile: file })
  }
  return { ...restored, createDatabaseMs: created.wallMs }
}

function toolOptions(context: SizeContext, database: string) {
  return { env: libpqEnvironment(context.resources.serverUrl, database), signal: context.signal }
}

function describe(sample: Sample | undefined): string {
  if (!sample) return 'no sample'
  const rss = sample.maxRssKb === null ? 'n/a' : `${(sample.maxRssKb / 1024).toFixed(1)} MB`
  const busy = sample.foreignSessions
    ? `; ${sample.foreignSessions} other session(s) were running queries`
    : ''
  const created = sample.createDatabaseMs === undefined ? '' : ` after createdb ${(sample.createDatabaseMs / 1000).toFixed(2)} s`
  return `${(sample.wallMs / 1000).toFixed(2)} s${created}, peak RSS ${rss}${busy}`
}
