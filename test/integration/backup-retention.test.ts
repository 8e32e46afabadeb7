import { ApplicationFailure } from '@temporalio/common'
import { historyToJSON } from '@temporalio/common/lib/proto-utils'
import type { temporal } from '@temporalio/proto'
import { Worker } from '@temporalio/worker'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackupPrune } from '../../client/backups'
import { findBackup } from '../../data/backup-catalog'
import { listManifests } from '../../storage/backup-manifests'
import { LocalObjectStore } from '../../storage/local'
import { backupActivities, dumpWithActivities, restoreActivities, runActivity } from '../activity-support'
import { runOps } from '../cli-support'
import { createTestApp, FIXTURES, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, workflowBundle, type TemporalHarness } from '../temporal-support'

describe('backup retention', () => {
  let app: TestApp
  let storage: LocalObjectStore
  let harness: TemporalHarness
  let env: Record<string, string>
  const backupIds: string[] = []

  beforeAll(async () => {
    app = await createTestApp()
    storage = new LocalObjectStore(app.storageRoot)
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: app.url,
      NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:3000',
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: uniqueName('prune_tq'),
      STORAGE_LOCAL_ROOT: app.storageRoot,
      BACKUP_KEEP_DAILY: '2',
      BACKUP_KEEP_WEEKLY: '0',
      BACKUP_KEEP_MONTHLY: '0',
    }
    harness = await startHarness(testConfig(env), app.sql, storage)

    // Four verified backups of the app database, made to look one day apart, oldest first.
    const activities = backupActivities(app.sql, storage, [app.name])
    for (const daysAgo of [3, 2, 1, 0]) {
      const backup = await dumpWithActivities(activities, app.name)
      await runActivity(activities.verifyBackup, { backupId: backup.backupId, manifestKey: backup.manifestKey })
      await app.sql`UPDATE backup SET started_at = now() - make_interval(days => ${daysAgo}) WHERE id = ${backup.backupId}`
      backupIds.push(backup.backupId)
    }
  })

  afterAll(async () => {
    await harness?.close()
    await app?.cleanup()
  })

  it('lists the decisions without changing anything', async () => {
    const run = await runOps(env, ['backup', 'prune', '--dry-run'])

    expect(run.status).toBe(0)
    expect(run.stdout).toContain('2 kept, 2 to prune (keep 2 daily, 0 weekly, 0 monthly); nothing was changed')
    expect(run.stdout).toMatch(new RegExp(`${backupIds[0]}\\s+verified\\s+\\S+ \\S+\\s+prune\\s+outside the daily, weekly and monthly counts`))
    expect((await listManifests(storage, app.name)).length).toBe(4)
  })

  it('prunes old backups and keeps their history', async () => {
    const handle = await startBackupPrune(harness.client, { database: app.name, taskQueue: env.TEMPORAL_TASK_QUEUE! })
    const summary = await handle.result()
    await recordHistory(await handle.fetchHistory())

    const pruned = await findBackup(app.sql, backupIds[0]!)
    const kept = await findBackup(app.sql, backupIds[3]!)
    const manifests = (await listManifests(storage, app.name)).map((entry) => entry.manifest.backupId).sort()
    expect(summary.pruned).toBe(2)
    expect(summary.kept).toBe(2)
    expect(summary.freedBytes).toBeGreaterThan(0)
    expect(pruned?.status).toBe('pruned')
    expect(pruned?.pruneReason).toBe('outside the daily, weekly and monthly counts')
    expect(pruned?.objectKey && (await storage.stat(pruned.objectKey))).toBeNull()
    expect(kept?.status).toBe('verified')
    expect(manifests).toEqual([backupIds[2], backupIds[3]].sort())
  })

  it('prunes nothing twice', async () => {
    const summary = await (await startBackupPrune(harness.client, { database: app.name, taskQueue: env.TEMPORAL_TASK_QUEUE! })).result()

    expect(summary.pruned).toBe(0)
    expect(summary.kept).toBe(2)
  })

  it('explains a restore of a pruned backup', async () => {
    const failure = await runActivity(restoreActivities(app.sql, storage, []).restoreBackup, {
      backupId: backupIds[0],
      targetDatabase: uniqueName('pruned_dst'),
      force: false,
    }).catch((error: unknown) => error)

    expect(failure).toBeInstanceOf(ApplicationFailure)
    expect((failure as ApplicationFailure).type).toBe('BackupNotFound')
    expect((failure as Error).message).toContain('was pruned by the retention counts')
  })
})

/** Replays the run's history now and, with RECORD_HISTORIES=1, stores it for the replay test. */
async function recordHistory(history: temporal.api.history.v1.IHistory): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'backup-prune')
  if (process.env.RECORD_HISTORIES === '1') await writeFile(join(FIXTURES, 'histories', 'backup-prune-workflow.json'), historyToJSON(history))
}
