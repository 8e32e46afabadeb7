import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRetentionRun } from '../../client/retention'
import type { Config } from '../../config'
import { LocalObjectStore } from '../../storage/local'
import { seedSchool } from '../accounts-support'
import { countExpiredInSql, seedRetentionDocuments } from '../retention-support'
import { createTestApp, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, type TemporalHarness } from '../temporal-support'

const DOCUMENTS = 1_000_000
// A run of 20 batches records about 130 events; the cap leaves room and still fails if the
// workflow stopped continuing as new.
const MAX_EVENTS_PER_RUN = 300

describe('retention at a million documents', () => {
  let app: TestApp
  let config: Config
  let harness: TemporalHarness
  let schoolId: string

  beforeAll(async () => {
    app = await createTestApp()
    config = testConfig({ DATABASE_URL: app.url, TEMPORAL_TASK_QUEUE: uniqueName('retention_scale_tq'), STORAGE_LOCAL_ROOT: app.storageRoot })
    harness = await startHarness(config, app.sql, new LocalObjectStore(app.storageRoot))
    schoolId = await seedSchool(app.sql)
    await seedRetentionDocuments(app.sql, schoolId, DOCUMENTS)
  }, 300_000)

  afterAll(async () => {
    await harness?.close()
    await app?.cleanup()
  })

  it('dry run keeps each history small', async () => {
    const handle = await startRetentionRun(harness.client, { taskQueue: config.temporal.taskQueue, school: { id: schoolId, slug: 'scale' }, dryRun: true, asOf: '2026-12-04', batchSize: 5_000 })
    const result = await handle.result()
    const eventsPerRun: number[] = []
    for await (const execution of harness.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      const history = await harness.client.workflow.getHandle(handle.workflowId, execution.runId).fetchHistory()
      eventsPerRun.push(history.events?.length ?? 0)
    }

    expect(result.counts.evaluated).toBe(DOCUMENTS)
    expect(result.counts.expired).toBe(await countExpiredInSql(app.sql, schoolId, '2026-12-04'))
    expect(result.counts.expired + result.counts.kept).toBe(DOCUMENTS)
    // 200 full batches at 20 a run, and one run whose empty batch finds the end.
    expect(eventsPerRun.length).toBe(11)
    expect(Math.max(...eventsPerRun)).toBeLessThan(MAX_EVENTS_PER_RUN)
    expect(Number((await app.sql`SELECT count(*) FROM document WHERE school_id = ${schoolId}`)[0]!.count)).toBe(DOCUMENTS)
  }, 600_000)
})
