import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client'
import { RetryState } from '@temporalio/common'
import { historyToJSON } from '@temporalio/common/lib/proto-utils'
import type { temporal } from '@temporalio/proto'
import { Worker } from '@temporalio/worker'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackup, startRestore } from '../../client/backups'
import { findBackup, listBackups } from '../../data/backup-catalog'
import { connectDatabase, withDatabase } from '../../data/db'
import { OPS_STATUS } from '../../domain/search-attributes'
import { backupScheduleId } from '../../domain/workflow-ids'
import { createLogger } from '../../observability/logger'
import { readManifest } from '../../storage/backup-manifests'
import { ensureSchedules } from '../../worker/schedules'
import { LocalObjectStore } from '../../storage/local'
import { loadPagila, tableChecksums } from '../pagila'
import { createDatabase, createTestApp, dropDatabase, FIXTURES, SERVER_URL, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, workflowBundle, type TemporalHarness } from '../temporal-support'

/**
 * Replays the run's histories against the current workflow code, and with
 * RECORD_HISTORIES=1 stores them as the fixtures the replay test keeps checking later code
 * against.
 */
async function recordHistories(histories: Record<string, temporal.api.history.v1.IHistory>) {
  for (const [name, history] of Object.entries(histories)) {
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `${name}-replay`)
    if (process.env.RECORD_HISTORIES === '1') {
      await writeFile(join(FIXTURES, 'histories', `${name}-workflow.json`), historyToJSON(history))
    }
  }
}

/** Polls visibility, which the server updates shortly after a workflow starts. */
async function waitForWorkflow(client: Client, query: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    for await (const workflow of client.workflow.list({ query })) return workflow.workflowId
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`no workflow matched ${query} within ${timeoutMs} ms`)
}

describe('backup workflow on the pagila sample database', () => {
  const pagila = uniqueName('pagila')
  const restored = uniqueName('pagila_restored')
  let app: TestApp
  let harness: TemporalHarness
  let storage: LocalObjectStore
  let config: ReturnType<typeof testConfig>
  const taskQueue = uniqueName('backup_tq')
  const configOverrides = () => ({
    DATABASE_URL: app.url,
    TEMPORAL_ADDRESS: temporalAddressForTests(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    BACKUP_DATABASES: `${pagila},${app.name},missing_database_for_test`,
  })

  beforeAll(async () => {
    app = await createTestApp()
    await createDatabase(pagila)
    loadPagila(pagila)
    storage = new LocalObjectStore(app.storageRoot)
    config = testConfig(configOverrides())
    harness = await startHarness(config, app.sql, storage)
  })

  afterAll(async () => {
    await harness?.close()
    await dropDatabase(pagila)
    await dropDatabase(restored)
    await app?.cleanup()
  })

  it('backs up, verifies and restores every row', async () => {
    const taskQueue = config.temporal.taskQueue

    const backupHandle = await startBackup(harness.client, { database: pagila, taskQueue })
    const backup = await backupHandle.result()
    const restoreHandle = await startRestore(harness.client, {
      request: { backupId: backup.backupId, targetDatabase: restored, force: false },
      taskQueue,
    })
    const restore = await restoreHandle.result()
    await recordHistories({ backup: await backupHandle.fetchHistory(), restore: await restoreHandle.fetchHistory() })

    const record = await findBackup(app.sql, backup.backupId)
    expect(record?.status).toBe('verified')
    expect(record?.sha256).toBe(backup.sha256)
    expect(record?.sizeBytes).toBe(backup.sizeBytes)
    expect(record?.objectKey).toMatch(new RegExp(`^backups/${pagila}/\\d{4}/\\d{2}/\\d{2}/backup-${pagila}-`))

    const manifest = await readManifest(storage, record!.manifestKey!)
    expect(manifest.verification?.status).toBe('verified')
    expect(manifest.tables.find((table) => table.table === 'public.payment_p2022_01')?.rows).toBeGreaterThan(0)

    expect(restore.rowCountMismatch).toBeNull()
    expect(restore.ignoredErrors).toEqual([])
    expect(restore.tables).toBe(manifest.tables.length)

    const source = connectDatabase(withDatabase(SERVER_URL, pagila), { max: 1 })
    const copy = connectDatabase(withDatabase(SERVER_URL, restored), { max: 1 })
    try {
      expect(await tableChecksums(copy)).toEqual(await tableChecksums(source))
    } finally {
      await source.end()
      await copy.end()
    }
  })

  it('runs a scheduled backup that ops can find by search attributes', async () => {
    const scheduleConfig = testConfig({ ...configOverrides(), BACKUP_DATABASES: pagila })
    await ensureSchedules(harness.client, scheduleConfig, createLogger({ level: 'silent', name: 'test' }))
    const schedule = harness.client.schedule.getHandle(backupScheduleId(pagila))

    try {
      await schedule.trigger()
      const workflowId = await waitForWorkflow(
        harness.client,
        `OpsKind = "backup" AND OpsTarget = "${pagila}" AND OpsTrigger = "schedule"`,
      )
      const result = await harness.client.workflow.getHandle(workflowId).result()
      const description = await harness.client.workflow.getHandle(workflowId).describe()

      expect(workflowId).toMatch(new RegExp(`^backup-${pagila}-\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$`))
      expect(description.typedSearchAttributes.get(OPS_STATUS)).toBe('verified')
      expect((await findBackup(app.sql, result.backupId))?.trigger).toBe('schedule')
    } finally {
      await schedule.delete()
    }
  })

  it('fails without retrying when the database does not exist', async () => {
    const taskQueue = config.temporal.taskQueue

    const handle = await startBackup(harness.client, { database: 'missing_database_for_test', taskQueue })
    const failure = await handle.result().catch((error: unknown) => error)
    await recordHistories({ 'backup-failed': await handle.fetchHistory() })

    expect(failure).toBeInstanceOf(WorkflowFailedError)
    const activityFailure = (failure as WorkflowFailedError).cause as ActivityFailure
    expect(activityFailure.retryState).toBe(RetryState.NON_RETRYABLE_FAILURE)
    expect((activityFailure.cause as ApplicationFailure).type).toBe('DatabaseNotFound')
    const [latest] = await listBackups(app.sql, { database: 'missing_database_for_test', limit: 1 })
    expect(latest?.status).toBe('failed')
    expect(latest?.failureReason).toContain('database "missing_database_for_test" does not exist')
  })

  it('rejects a database outside BACKUP_DATABASES', async () => {
    const taskQueue = config.temporal.taskQueue

    const handle = await startBackup(harness.client, { database: 'postgres', taskQueue })
    const failure = await handle.result().catch((error: unknown) => error)

    const activityFailure = (failure as WorkflowFailedError).cause as ActivityFailure
    expect((activityFailure.cause as ApplicationFailure).type).toBe('DatabaseNotAllowed')
    expect(activityFailure.cause?.message).toContain('is not in BACKUP_DATABASES')
  })
})
