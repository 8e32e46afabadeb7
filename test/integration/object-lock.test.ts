import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { financialLockUntil, retentionRules } from '../../domain/retention'
import { ensureS3Server, startS3Server, type S3Server } from '../../scripts/s3-server'
import { S3ObjectStore } from '../../storage/s3'
import { backupActivities, dumpWithActivities } from '../activity-support'
import { freePort } from '../global-setup'
import { readAll } from '../storage-support'
import { createTestApp, type TestApp } from '../support'

describe('object lock on S3', () => {
  let server: S3Server
  let root: string
  let client: S3Client
  let app: TestApp
  const locked = 'locked-bucket'
  const plain = 'plain-bucket'

  const store = (bucket: string) =>
    new S3ObjectStore({ endpoint: server.endpoint, region: 'us-east-1', bucket, forcePathStyle: true, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } })

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'school-ops-lock-'))
    server = await startS3Server({ binary: ensureS3Server(), port: await freePort(), root: join(root, 'buckets'), versioningDir: join(root, 'versions'), accessKeyId: 'lock-test', secretAccessKey: randomBytes(20).toString('hex') })
    client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: server })
    await client.send(new CreateBucketCommand({ Bucket: locked, ObjectLockEnabledForBucket: true }))
    await client.send(new CreateBucketCommand({ Bucket: plain }))
    app = await createTestApp()
  })

  afterAll(async () => {
    client?.destroy()
    await server?.stop()
    await app?.cleanup()
    await rm(root, { recursive: true, force: true })
  })

  it('locks a financial file until its retention ends', async () => {
    const until = financialLockUntil('payroll', '2024-05-10', 4, retentionRules())
    await store(locked).put('documents/payroll/may.pdf', Readable.from([Buffer.from('payslip')]), { retainUntil: until! })
    const head = await client.send(new HeadObjectCommand({ Bucket: locked, Key: 'documents/payroll/may.pdf' }))

    expect(until?.toISOString()).toBe('2032-04-01T00:00:00.000Z')
    expect(head.ObjectLockMode).toBe('COMPLIANCE')
    expect(head.ObjectLockRetainUntilDate?.toISOString()).toBe('2032-04-01T00:00:00.000Z')
    await expect(client.send(new DeleteObjectCommand({ Bucket: locked, Key: 'documents/payroll/may.pdf', VersionId: head.VersionId }))).rejects.toThrow(/object lock/i)
  })

  it('keeps a locked version after a delete', async () => {
    const key = 'documents/financial/ledger.csv'
    await store(locked).put(key, Readable.from([Buffer.from('ledger')]), { retainUntil: new Date(Date.now() + 86_400_000) })
    await store(locked).delete(key)
    const versions = await client.send(new ListObjectVersionsCommand({ Bucket: locked, Prefix: key }))
    const kept = await client.send(new GetObjectCommand({ Bucket: locked, Key: key, VersionId: versions.Versions?.[0]?.VersionId }))

    expect(await store(locked).stat(key)).toBeNull()
    expect(versions.Versions?.length).toBe(1)
    expect(versions.DeleteMarkers?.length).toBe(1)
    expect((await readAll(kept.Body as Readable)).toString()).toBe('ledger')
  })

  it('leaves other files unlocked', async () => {
    expect(financialLockUntil('report-card', '2024-05-10', 1, retentionRules())).toBeNull()
    await store(locked).put('documents/notice/a.pdf', Readable.from([Buffer.from('notice')]))
    const head = await client.send(new HeadObjectCommand({ Bucket: locked, Key: 'documents/notice/a.pdf' }))
    await client.send(new DeleteObjectCommand({ Bucket: locked, Key: 'documents/notice/a.pdf', VersionId: head.VersionId }))

    expect(head.ObjectLockMode).toBeUndefined()
    expect(await store(locked).stat('documents/notice/a.pdf')).toBeNull()
  })

  it('ignores lock dates without object lock', async () => {
    await store(plain).put('a.txt', Readable.from([Buffer.from('a')]), { retainUntil: new Date(Date.now() + 86_400_000) })
    const head = await client.send(new HeadObjectCommand({ Bucket: plain, Key: 'a.txt' }))

    expect(head.ObjectLockMode).toBeUndefined()
    expect(await store(plain).stat('a.txt')).not.toBeNull()
  })

  it('locks backups for the daily count', async () => {
    const activities = backupActivities(app.sql, store(locked), [app.name], 'custom', { lockDays: 7 })
    const dump = await dumpWithActivities(activities, app.name)
    const head = await client.send(new HeadObjectCommand({ Bucket: locked, Key: dump.objectKey }))
    const days = (head.ObjectLockRetainUntilDate!.getTime() - Date.now()) / 86_400_000

    expect(head.ObjectLockMode).toBe('COMPLIANCE')
    expect(days).toBeGreaterThan(6.9)
    expect(days).toBeLessThan(7.1)
  })
})
