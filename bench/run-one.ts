/**
 * Runs one measurement of our code in this process and prints a JSON report as its last line of
 * stdout: `tsx bench/run-one.ts <mode> '<json input>'`. bench/backup.ts starts one process per
 * measurement, so `maxRSS` covers that measurement only. Every mode imports the same modules,
 * so the `baseline` mode shows how much of the peak RSS is Node, tsx and the Temporal SDK.
 */
import { Context } from '@temporalio/activity'
import { MockActivityEnvironment } from '@temporalio/testing'
import { DefaultLogger } from '@temporalio/worker'
import { z } from 'zod'
import { createBackupActivities } from '../activities/backup'
import { createRestoreActivities } from '../activities/restore'
import { connectDatabase, withDatabase } from '../data/db'
import { LocalObjectStore } from '../storage/local'
import type { HeartbeatSpan } from './measure'
import { profileBackup, profileRestore } from './phases'

const backupInput = z.object({
  serverUrl: z.string(),
  catalogDatabase: z.string(),
  sourceDatabase: z.string(),
  storeDir: z.string(),
  backupId: z.string(),
})

const restoreInput = z.object({
  serverUrl: z.string(),
  catalogDatabase: z.string(),
  sourceDatabase: z.string(),
  storeDir: z.string(),
  backupId: z.string(),
  targetDatabase: z.string(),
  jobs: z.number().int().positive(),
})

const profileBackupInput = z.object({
  serverUrl: z.string(),
  sourceDatabase: z.string(),
  storeDir: z.string(),
})

const profileRestoreInput = z.object({
  serverUrl: z.string(),
  storeDir: z.string(),
  objectKey: z.string(),
  freshlyRestoredDatabase: z.string(),
  scratchDatabase: z.string(),
})

/**
 * Runs an activity with a real activity context and records when each heartbeat phase was
 * first and last reported, which shows where the time went without changing the activity.
 * Warnings and errors of the activity's logger go to stderr.
 */
async function runActivity<P extends unknown[], R>(
  activity: (...args: P) => Promise<R>,
  ...args: P
): Promise<{ result: R; wallMs: number; heartbeats: Record<string, HeartbeatSpan> }> {
  const environment = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') })
  const heartbeats: Record<string, HeartbeatSpan> = {}
  const started = performance.now()

  environment.on('heartbeat', (details: { phase?: unknown } | undefined) => {
    const phase = typeof details?.phase === 'string' ? details.phase : 'unnamed'
    const atMs = performance.now() - started
    const span = (heartbeats[phase] ??= { firstMs: atMs, lastMs: atMs, count: 0 })
    span.lastMs = atMs
    span.count++
  })

  const result: R = await environment.run(activity, ...args)
  return { result, wallMs: performance.now() - started, heartbeats }
}

async function measureBackup(input: z.infer<typeof backupInput>) {
  const catalog = connectDatabase(withDatabase(input.serverUrl, input.catalogDatabase), { max: 2 })
  const activities = createBackupActivities({
    catalog,
    serverUrl: input.serverUrl,
    allowedDatabases: [input.sourceDatabase],
    storage: new LocalObjectStore(input.storeDir),
    format: 'custom',
    scratchPrefix: 'bench_scratch',
  })
  const run = {
    backupId: input.backupId,
    workflowId: `bench-${input.backupId}`,
    database: input.sourceDatabase,
    trigger: 'manual' as const,
    startedAt: new Date().toISOString(),
  }

  try {
    const prepared = await runActivity(activities.prepareBackup, run)
    const dumped = await runActivity(activities.dumpDatabase, { ...run, ...prepared.result })
    return { wallMs: dumped.wallMs, prepareMs: prepared.wallMs, ...dumped.result }
  } finally {
    await catalog.end()
  }
}

async function measureRestore(input: z.infer<typeof restoreInput>) {
  const catalog = connectDatabase(withDatabase(input.serverUrl, input.catalogDatabase), { max: 2 })
  const activities = createRestoreActivities({
    catalog,
    serverUrl: input.serverUrl,
    liveDatabases: [input.catalogDatabase, input.sourceDatabase],
    storage: new LocalObjectStore(input.storeDir),
    jobs: input.jobs,
  })

  try {
    // The worker's catalog pool is connected long before a restore starts, so only the
    // connections the restore opens itself are timed.
    await catalog`SELECT 1`
    const { result, wallMs, heartbeats } = await runActivity(activities.restoreBackup, {
      backupId: input.backupId,
      targetDatabase: input.targetDatabase,
      force: false,
    })
    return {
      wallMs,
      tables: result.tables,
      rows: result.rows,
      rowCountMismatch: result.rowCountMismatch,
      ignoredErrors: result.ignoredErrors.length,
      heartbeats,
    }
  } finally {
    await catalog.end()
  }
}

async function measureBaseline() {
  const { wallMs } = await runActivity(async () => Context.current().heartbeat({ phase: 'baseline' }))
  return { wallMs }
}

async function main(mode: string | undefined, inputText: string | undefined): Promise<object> {
  const input: unknown = JSON.parse(inputText ?? '{}')

  switch (mode) {
    case 'backup':
      return measureBackup(backupInput.parse(input))
    case 'restore':
      return measureRestore(restoreInput.parse(input))
    case 'baseline':
      return measureBaseline()
    case 'profile-backup':
      return profileBackup(profileBackupInput.parse(input))
    case 'profile-restore':
      return profileRestore(profileRestoreInput.parse(input))
    default:
      throw new Error(
        `invalid mode "${mode}": expected backup, restore, baseline, profile-backup or profile-restore`,
      )
  }
}

const report = await main(process.argv[2], process.argv[3])
console.log(JSON.stringify({ ...report, maxRssKb: process.resourceUsage().maxRSS }))
