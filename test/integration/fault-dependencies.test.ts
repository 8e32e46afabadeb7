import { temporal } from '@temporalio/proto'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratchDatabaseName } from '../../activities/databases'
import { connectDatabase, withDatabase, type Sql } from '../../data/db'
import { backupIdFromWorkflowId } from '../../domain/backup'
import { manualBackupWorkflowId } from '../../domain/workflow-ids'
import { migrate } from '../../data/migrate'
import { ensureS3Server, startS3Server, type S3Server } from '../../scripts/s3-server'
import { LocalObjectStore } from '../../storage/local'
import type { ActivityTimings } from '../../workflows/definitions'
import type { MirrorRunResult } from '../../workflows/mirror'
import { listKeys, sha256Of, sleep } from '../fault-support'
import { freePort } from '../global-setup'
import { s3StoreFor } from '../storage-support'
import { createTestApp, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, type TemporalHarness } from '../temporal-support'
import { startThrowawayPostgres, type ThrowawayPostgres } from '../throwaway-postgres'
import { CreateBucketCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3'

const EventType = temporal.api.enums.v1.EventType
const TIMINGS: ActivityTimings = { heartbeatSeconds: 10, shortActivitySeconds: 20, retrySeconds: 1 }
const ARCHIVE_ROWS = 400_000

/** Waits until the workflow runs the activity, polling its pending activities. */
async function activityRunning(harness: TemporalHarness, workflowId: string, activity: string): Promise<void> {
  for (let tries = 0; tries < 1_200; tries++) {
    const { raw } = await harness.client.workflow.getHandle(workflowId).describe()
    if ((raw.pendingActivities ?? []).some((pending) => pending.activityType?.name === activity && pending.lastStartedTime)) return
    await sleep(50)
  }
  throw new Error(`${activity} did not start within 60 s`)
}

describe('backup across a PostgreSQL restart', () => {
  const database = 'school_ops_fault'
  let cluster: ThrowawayPostgres | { skipped: string }
  let catalog: Sql
  let storageRoot: string
  let harness: TemporalHarness
  const taskQueue = uniqueName('pg_restart_tq')

  beforeAll(async () => {
    cluster = await startThrowawayPostgres(await freePort())
    if ('skipped' in cluster) {
      console.log(`skipping the PostgreSQL restart test: ${cluster.skipped}`)
      return
    }
    const admin = connectDatabase(cluster.url, { max: 1 })
    await admin`CREATE DATABASE ${admin(database)}`
    await admin.end()
    const url = withDatabase(cluster.url, database)
    catalog = connectDatabase(url, { max: 4 })
    await migrate(catalog)
    await catalog`CREATE TABLE attendance_archive AS SELECT i AS id, md5(i::text) AS mark FROM generate_series(1, ${ARCHIVE_ROWS}) i`
    storageRoot = await mkdtemp(join(tmpdir(), 'pg-restart-storage-'))
    const config = testConfig({ DATABASE_URL: url, TEMPORAL_ADDRESS: temporalAddressForTests(), TEMPORAL_TASK_QUEUE: taskQueue, BACKUP_DATABASES: database, BACKUP_SCRATCH_PREFIX: 'restart_scratch' })
    harness = await startHarness(config, catalog, new LocalObjectStore(storageRoot))
  })

  afterAll(async () => {
    await harness?.close()
    await catalog?.end()
    if (cluster && !('skipped' in cluster)) await cluster.stop()
    if (storageRoot) await rm(storageRoot, { recursive: true, force: true })
  })

  it('finishes one verified backup', async (context) => {
    if ('skipped' in cluster) return context.skip()
    const workflowId = manualBackupWorkflowId(database, new Date())
    const handle = await harness.client.workflow.start('backupWorkflow', { taskQueue, workflowId, args: [{ database, trigger: 'manual', timings: TIMINGS }] })

    await activityRunning(harness, workflowId, 'dumpDatabase')
    await cluster.restart()
    const result = await handle.result()

    const rows = await catalog<{ status: string; object_key: string; sha256: string }[]>`SELECT status, object_key, sha256 FROM backup WHERE workflow_id = ${workflowId}`
    const store = new LocalObjectStore(storageRoot)
    const keys = await listKeys(store, 'backups/')
    const events = (await handle.fetchHistory()).events ?? []
    // History records only the attempt that ended an activity, so a retry shows as its attempt number.
    const attempts = events.filter((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED).map((event) => event.activityTaskStartedEventAttributes?.attempt ?? 1)
    const scratch = await catalog`SELECT 1 FROM pg_database WHERE datname = ${scratchDatabaseName('restart_scratch', backupIdFromWorkflowId(workflowId))}`

    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2)
    expect(rows).toHaveLength(1)
    expect(rows[0]?.status).toBe('verified')
    expect(keys.sort()).toEqual([result.objectKey, `${result.objectKey}.manifest.json`].sort())
    expect(await sha256Of(store, result.objectKey)).toBe(rows[0]?.sha256)
    expect(scratch).toHaveLength(0)
  }, 300_000)
})

describe('mirror with the S3 server unreachable', () => {
  const bucket = `mirror-${randomBytes(4).toString('hex')}`
  const taskQueue = uniqueName('s3_down_tq')
  let app: TestApp
  let s3Root: string
  let port: number
  let s3: S3Server
  let harness: TemporalHarness
  let primary: LocalObjectStore
  const secret = randomBytes(20).toString('hex')

  const startOwnS3 = () => startS3Server({ binary: ensureS3Server(), port, root: s3Root, accessKeyId: 'fault-test', secretAccessKey: secret })
  const mirrorStore = () => s3StoreFor({ bucket, endpoint: `http://127.0.0.1:${port}`, accessKeyId: 'fault-test', secretAccessKey: secret })

  beforeAll(async () => {
    app = await createTestApp()
    s3Root = await mkdtemp(join(tmpdir(), 'fault-s3-'))
    port = await freePort()
    s3 = await startOwnS3()
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3 })
    await client.send(new CreateBucketCommand({ Bucket: bucket }))
    client.destroy()
    primary = new LocalObjectStore(app.storageRoot)
    for (let index = 0; index < 30; index++) await primary.put(`documents/notes/${String(index).padStart(2, '0')}.bin`, Readable.from([randomBytes(200 * 1024)]))
    // Objects over the 5 MiB part size go up as multipart uploads.
    for (let index = 0; index < 2; index++) await primary.put(`backups/big/${index}.dump`, Readable.from([randomBytes(7 * 1024 * 1024)]))
    const config = testConfig({ DATABASE_URL: app.url, TEMPORAL_ADDRESS: temporalAddressForTests(), TEMPORAL_TASK_QUEUE: taskQueue, MIRROR_PARALLELISM: '2' })
    harness = await startHarness(config, app.sql, primary, { mirror: mirrorStore() })
  })

  afterAll(async () => {
    await harness?.close()
    await s3?.stop()
    await app?.cleanup()
    if (s3Root) await rm(s3Root, { recursive: true, force: true })
  })

  it('records a partial run, then catches up', async () => {
    const first = await harness.client.workflow.start('mirrorWorkflow', { taskQueue, workflowId: uniqueName('s3-down-mirror'), args: [{ batchSize: 4, timings: TIMINGS }] })
    for (let tries = 0; tries < 600; tries++) {
      const [row] = await app.sql<{ n: string }[]>`SELECT count(*) AS n FROM mirror_object`
      if (Number(row?.n) >= 4) break
      await sleep(50)
    }
    await s3.stop()
    const down = (await first.result()) as MirrorRunResult
    s3 = await startOwnS3()
    const again = (await (await harness.client.workflow.start('mirrorWorkflow', { taskQueue, workflowId: uniqueName('s3-up-mirror'), args: [{ timings: TIMINGS }] })).result()) as MirrorRunResult
    const verified = (await (await harness.client.workflow.start('mirrorVerifyWorkflow', { taskQueue, workflowId: uniqueName('s3-verify'), args: [{}] })).result()) as { missing: number; differing: number }

    const mirror = mirrorStore()
    const mirrored = await listKeys(mirror, '')
    const mismatched: string[] = []
    for (const key of mirrored) if ((await sha256Of(mirror, key)) !== (await sha256Of(primary, key))) mismatched.push(key)
    const rows = await app.sql<{ key: string; sha256: string }[]>`SELECT key, sha256 FROM mirror_object`
    const wrongRows = []
    for (const row of rows) if ((await sha256Of(mirror, row.key)) !== row.sha256) wrongRows.push(row.key)
    const runs = await app.sql<{ status: string }[]>`SELECT status FROM mirror_run ORDER BY ended_at`
    const client = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'fault-test', secretAccessKey: secret } })
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
    client.destroy()
    console.log(`S3 down: ${down.copied} copied, ${down.failed} failed; multipart uploads left open: ${uploads.Uploads?.length ?? 0}`)

    expect(down.status).toBe('partial')
    expect(down.failed).toBeGreaterThan(0)
    expect(down.copied + down.failed + down.skipped).toBe(32)
    expect(again.status).toBe('good')
    expect(again.copied).toBe(down.failed)
    expect(verified.missing + verified.differing).toBe(0)
    expect(mirrored).toHaveLength(32)
    expect(mismatched).toEqual([])
    expect(wrongRows).toEqual([])
    expect(runs.map((run) => run.status)).toEqual(['partial', 'good'])
  }, 300_000)
})
