import { historyToJSON } from '@temporalio/common/lib/proto-utils'
import { MockActivityEnvironment } from '@temporalio/testing'
import { DefaultLogger, Worker } from '@temporalio/worker'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMirrorActivities, type MirrorBatchResult } from '../../activities/mirror'
import { createApp } from '../../api/app'
import { startMirror, startMirrorRestore, startMirrorVerify } from '../../client/mirror'
import type { Config } from '../../config'
import { createLogger } from '../../observability/logger'
import type { mirrorWorkflow } from '../../workflows'
import { seedSchool, seedUser } from '../accounts-support'
import { LocalObjectStore } from '../../storage/local'
import type { ObjectStore } from '../../storage/object-store'
import { readAll, createTestBucket, s3StoreFor } from '../storage-support'
import { createTestApp, FIXTURES, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, workflowBundle, type TemporalHarness } from '../temporal-support'

const LARGE = randomBytes(7 * 1024 * 1024)
const FILES: Record<string, Buffer> = {
  'documents/payroll/März 2026 #1.pdf': Buffer.from('march payroll'),
  'documents/sensitive/a+b%20c.txt': Buffer.from('sensitive note'),
  'documents/financial/2026/q1.csv': Buffer.from('quarter,total\n1,100\n'),
  'backups/school_ops/2026/12/04/backup-1.dump': LARGE,
  'documents/payroll/april.pdf': Buffer.from('april payroll'),
}

/** Passes every call to a real store and counts how often each key is read and listings made. */
class ReadCountingStore implements ObjectStore {
  readonly reads = new Map<string, number>()
  readonly provider: string
  readonly listsInRequests?: boolean
  listings = 0
  openListings = 0
  maxOpenListings = 0

  constructor(private readonly store: ObjectStore) {
    this.provider = store.provider
    this.listsInRequests = store.listsInRequests
  }

  get(key: string) {
    this.reads.set(key, (this.reads.get(key) ?? 0) + 1)
    return this.store.get(key)
  }

  put(...args: Parameters<ObjectStore['put']>) {
    return this.store.put(...args)
  }

  stat(key: string) {
    return this.store.stat(key)
  }

  async *list(...args: Parameters<ObjectStore['list']>) {
    this.listings++
    this.maxOpenListings = Math.max(this.maxOpenListings, ++this.openListings)
    try {
      yield* this.store.list(...args)
    } finally {
      this.openListings--
    }
  }

  delete(key: string) {
    return this.store.delete(key)
  }
}

async function putAll(store: ObjectStore, files: Record<string, Buffer>): Promise<void> {
  for (const [key, body] of Object.entries(files)) await store.put(key, Readable.from([body]))
}

describe('mirror of private storage', () => {
  let app: TestApp
  let primary: ReadCountingStore
  let mirror: ObjectStore
  let harness: TemporalHarness
  let config: Config
  const taskQueue = uniqueName('mirror_tq')

  beforeAll(async () => {
    app = await createTestApp()
    primary = new ReadCountingStore(s3StoreFor(await createTestBucket()))
    mirror = s3StoreFor(await createTestBucket())
    config = testConfig({ DATABASE_URL: app.url, TEMPORAL_ADDRESS: temporalAddressForTests(), TEMPORAL_TASK_QUEUE: taskQueue })
    harness = await startHarness(config, app.sql, primary, { mirror })
  })

  afterAll(async () => {
    await harness?.close()
    await app?.cleanup()
  })

  const run = async (batchSize = 2) => (await startMirror(harness.client, { taskQueue, batchSize })).result()

  it('copies every object on the first run', async () => {
    await putAll(primary, FILES)

    const handle = await startMirror(harness.client, { taskQueue, batchSize: 2 })
    const result = await handle.result()
    await recordHistory(await handle.fetchHistory())

    expect(result.status).toBe('good')
    expect(result.copied).toBe(5)
    expect(result.bytesMoved).toBe(Object.values(FILES).reduce((sum, body) => sum + body.length, 0))
    for (const [key, body] of Object.entries(FILES)) expect((await readAll(await mirror.get(key))).equals(body)).toBe(true)
  })

  it('copies exactly what changed', async () => {
    await primary.put('documents/payroll/april.pdf', Readable.from([Buffer.from('april payroll, corrected')]))
    await primary.put('documents/payroll/may.pdf', Readable.from([Buffer.from('may payroll')]))

    const result = await run()

    expect(result.scanned).toBe(6)
    expect(result.copied).toBe(2)
    expect(result.skipped).toBe(4)
    expect((await readAll(await mirror.get('documents/payroll/april.pdf'))).toString()).toBe('april payroll, corrected')
  })

  it('copies nothing when only timestamps changed', async () => {
    await putAll(primary, FILES)
    await primary.put('documents/payroll/april.pdf', Readable.from([Buffer.from('april payroll, corrected')]))

    const result = await run()

    expect(result.copied).toBe(0)
    expect(result.skipped).toBe(6)
    expect(result.status).toBe('good')
  })

  it('reads only changed objects, in one batch', async () => {
    // No pause before the rewrites: S3 lists times in whole seconds, so a same-size rewrite in
    // the second of the last copy keeps its size and time, and only its ETag shows the change.
    // A new size proves a change, so that object is copied unhashed. The same size is hashed first.
    await primary.put('documents/payroll/april.pdf', Readable.from([Buffer.from('april payroll, revised')]))
    await primary.put('documents/sensitive/a+b%20c.txt', Readable.from([Buffer.from('SENSITIVE NOTE')]))
    primary.reads.clear()

    const handle = await startMirror(harness.client, { taskQueue, batchSize: 3 })
    const result = await handle.result()
    const events = (await handle.fetchHistory()).events ?? []
    const batches = events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'mirrorBatch')

    expect(result.scanned).toBe(6)
    expect(result.copied).toBe(2)
    expect(primary.reads.get('documents/payroll/april.pdf')).toBe(1)
    expect(primary.reads.get('documents/sensitive/a+b%20c.txt')).toBe(2)
    expect(primary.reads.size).toBe(2)
    expect(batches).toHaveLength(1)
    expect((await readAll(await mirror.get('documents/sensitive/a+b%20c.txt'))).toString()).toBe('SENSITIVE NOTE')
  })

  it('finds a corrupted and a missing mirror copy', async () => {
    await mirror.put('documents/financial/2026/q1.csv', Readable.from([Buffer.from('tampered')]))
    await mirror.delete('documents/payroll/may.pdf')

    const handle = await startMirrorVerify(harness.client, { taskQueue, batchSize: 2 })
    const found = await handle.result()
    await recordHistory(await handle.fetchHistory(), 'mirror-verify')

    expect(found.checked).toBe(6)
    expect(found.differing).toBe(1)
    expect(found.missing).toBe(1)
    expect(found.examples.sort()).toEqual(['documents/financial/2026/q1.csv: differs', 'documents/payroll/may.pdf: missing'])
  })

  it('copies lost objects back from the mirror', async () => {
    const repaired = await run()
    await primary.delete('backups/school_ops/2026/12/04/backup-1.dump')
    await primary.delete('documents/payroll/März 2026 #1.pdf')

    const handle = await startMirrorRestore(harness.client, { taskQueue, batchSize: 2 })
    const result = await handle.result()
    await recordHistory(await handle.fetchHistory(), 'mirror-restore')
    const verified = await (await startMirrorVerify(harness.client, { taskQueue })).result()

    expect(repaired.copied).toBe(2)
    expect(result.restored).toBe(2)
    expect(result.bytes).toBe(LARGE.length + FILES['documents/payroll/März 2026 #1.pdf']!.length)
    expect((await readAll(await primary.get('backups/school_ops/2026/12/04/backup-1.dump'))).equals(LARGE)).toBe(true)
    expect(verified.missing + verified.differing).toBe(0)
  })

  it('starts from the API for ops only', async () => {
    const schoolId = await seedSchool(app.sql)
    const [ops, teacher] = [await seedUser(app.sql, schoolId, ['ops']), await seedUser(app.sql, schoolId, ['teacher'])]
    const api = createApp({ config, sql: app.sql, temporal: async () => harness.client, logger: createLogger({ level: 'silent', name: 'api' }) })

    const refused = await api.request('/api/ops/mirror', { method: 'POST', headers: teacher.headers })
    const started = await api.request('/api/ops/mirror', { method: 'POST', headers: ops.headers })
    const { workflowId } = (await started.json()) as { workflowId: string }
    const result = await harness.client.workflow.getHandle<typeof mirrorWorkflow>(workflowId).result()

    expect(refused.status).toBe(403)
    expect(started.status).toBe(202)
    expect(result.status).toBe('good')
  })

  it('alerts when the last good run is over an hour old', async () => {
    const check = async () => {
      const handle = await harness.client.workflow.start('mirrorRpoWorkflow', { taskQueue, workflowId: uniqueName('mirror-rpo'), args: [] })
      return { handle, result: (await handle.result()) as { withinRpo: boolean; ageMinutes: number | null; alert: { status: string } } }
    }
    await app.sql`UPDATE mirror_run SET ended_at = ended_at - interval '2 hours'`

    const stale = await check()
    const [alert] = await app.sql<{ status: string; message: string }[]>`SELECT status, message FROM ops_alert WHERE key = 'mirror-rpo'`
    await run()
    const fresh = await check()
    await recordHistory(await stale.handle.fetchHistory(), 'mirror-rpo')

    expect(stale.result.withinRpo).toBe(false)
    expect(stale.result.ageMinutes).toBeGreaterThanOrEqual(120)
    expect(alert?.status).toBe('firing')
    expect(alert?.message).toContain('beyond the 1-hour RPO of private documents')
    expect(fresh.result.withinRpo).toBe(true)
    expect(fresh.result.alert.status).toBe('resolved')
  })

  it('refuses a listing far smaller than the last good run', async () => {
    for (const key of Object.keys(FILES)) await primary.delete(key)

    const result = await run()
    const [row] = await app.sql<{ status: string; note: string }[]>`SELECT status, note FROM mirror_run ORDER BY ended_at DESC LIMIT 1`

    expect(result.status).toBe('refused')
    expect(row?.note).toContain('under half of the last good run')
    expect(await mirror.stat('documents/payroll/März 2026 #1.pdf')).not.toBeNull()
  })
})

describe('mirror of a local folder', () => {
  let app: TestApp
  let roots: string[]
  let harness: TemporalHarness
  const taskQueue = uniqueName('mirror_local_tq')

  beforeAll(async () => {
    app = await createTestApp()
    roots = [await mkdtemp(join(tmpdir(), 'mirror-primary-')), await mkdtemp(join(tmpdir(), 'mirror-copy-'))]
    const config = testConfig({ DATABASE_URL: app.url, TEMPORAL_ADDRESS: temporalAddressForTests(), TEMPORAL_TASK_QUEUE: taskQueue })
    harness = await startHarness(config, app.sql, new LocalObjectStore(roots[0]!), { mirror: new LocalObjectStore(roots[1]!) })
  })

  afterAll(async () => {
    await harness?.close()
    await app?.cleanup()
    for (const root of roots ?? []) await rm(root, { recursive: true, force: true })
  })

  it('pages through many objects across continue-as-new', async () => {
    const primary = new LocalObjectStore(roots[0]!)
    for (let index = 0; index < 25; index++) await primary.put(`documents/notes/${String(index).padStart(3, '0')}.txt`, Readable.from([`note ${index}`]))
    await writeFile(join(roots[0]!, 'documents', 'notes', 'left.txt.1234.partial'), 'half written')

    const handle = await startMirror(harness.client, { taskQueue, batchSize: 1 })
    const result = await handle.result()
    const firstRun = await harness.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory()

    expect(result.status).toBe('good')
    expect(result.copied).toBe(25)
    expect(firstRun.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy()
    expect(await new LocalObjectStore(roots[1]!).stat('documents/notes/024.txt')).not.toBeNull()
  })
})

describe('mirror listing split at catalogued keys', () => {
  let app: TestApp
  let primary: ReadCountingStore
  let mirror: ObjectStore
  const keyOf = (index: number) => `documents/notes/${String(index).padStart(3, '0')}.txt`

  beforeAll(async () => {
    app = await createTestApp()
    primary = new ReadCountingStore(s3StoreFor(await createTestBucket()))
    mirror = s3StoreFor(await createTestBucket())
  })

  afterAll(async () => {
    await app?.cleanup()
  })

  // Ranges of ten catalogued keys instead of 1,000, so that 57 objects make six ranges.
  const mirrorBatch = (): Promise<MirrorBatchResult> => {
    const activities = createMirrorActivities({ catalog: app.sql, primary, mirror, parallelism: 4, keysPerRange: 10 })
    return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') }).run(activities.mirrorBatch, { startAfter: null, batchSize: 500, scanLimit: 10_000 })
  }

  it('lists ranges side by side and misses no change', async () => {
    for (let index = 0; index < 57; index++) await primary.put(keyOf(index), Readable.from([`note ${index}`]))
    const first = await mirrorBatch()
    primary.listings = 0
    primary.maxOpenListings = 0
    // The 10th and 20th keys are range boundaries; the new keys fall inside ranges and at both ends.
    for (const removed of [9, 19, 33]) await primary.delete(keyOf(removed))
    const added = ['documents/a.txt', 'documents/notes/004a.txt', 'documents/notes/025a.txt', 'documents/notes/zz.txt']
    for (const key of added) await primary.put(key, Readable.from([`added ${key}`]))
    for (const changed of [40, 50]) await primary.put(keyOf(changed), Readable.from([`note ${changed}, revised`]))

    const second = await mirrorBatch()

    expect(first.counts).toMatchObject({ scanned: 57, copied: 57 })
    expect(second.counts).toMatchObject({ scanned: 58, copied: 6, skipped: 52, failed: 0 })
    expect(second.done).toBe(true)
    expect(primary.listings).toBe(6)
    expect(primary.maxOpenListings).toBeGreaterThanOrEqual(2)
    for (const key of added) expect((await readAll(await mirror.get(key))).toString()).toBe(`added ${key}`)
    expect((await readAll(await mirror.get(keyOf(50)))).toString()).toBe('note 50, revised')
  })
})

/** Replays the run's history now and, with RECORD_HISTORIES=1, stores it for the replay test. */
async function recordHistory(history: Awaited<ReturnType<Awaited<ReturnType<typeof startMirror>>['fetchHistory']>>, name = 'mirror'): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, name)
  if (process.env.RECORD_HISTORIES === '1') await writeFile(join(FIXTURES, 'histories', `${name}-workflow.json`), historyToJSON(history))
}
