import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { Client, Connection } from '@temporalio/client'
import { temporal } from '@temporalio/proto'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { backupPruneScheduleId, backupScheduleId } from '../../domain/workflow-ids'
import { ROOT } from '../deploy-support'
import { freePort } from '../global-setup'
import { createTestApp, uniqueName, type TestApp } from '../support'
import { temporalAddressForTests } from '../temporal-support'

const ENTRYPOINT = './deploy/entrypoint.sh'

/** Runs one role of the image's entry point on this machine, as the container would. */
function startRole(role: string, env: Record<string, string>): ChildProcess {
  return spawn(ENTRYPOINT, [role], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

async function stopRole(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  return exited
}

async function waitFor(description: string, check: () => Promise<boolean>, child: ChildProcess): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    if (child.exitCode !== null) throw new Error(`${description}: the process exited with status ${child.exitCode}`)
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${description} did not happen within 60 s`)
}

describe('image entry point, run outside Docker', () => {
  let app: TestApp
  let connection: Connection
  let client: Client
  let env: Record<string, string>
  const taskQueue = uniqueName('entrypoint_tq')

  beforeAll(async () => {
    app = await createTestApp()
    env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      // Production rejects the example password that a developer's .env in the work tree has.
      BOOTSTRAP_ADMIN_EMAIL: 'admin@entrypoint.test',
      BOOTSTRAP_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
      DATABASE_URL: app.url,
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      STORAGE_LOCAL_ROOT: app.storageRoot,
      BACKUP_DATABASES: app.name,
      NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:9',
    }
    connection = await Connection.connect({ address: temporalAddressForTests() })
    client = new Client({ connection })
  })

  afterAll(async () => {
    for (const scheduleId of [backupScheduleId(app.name), backupPruneScheduleId(app.name)]) {
      await client?.schedule.getHandle(scheduleId).delete().catch(() => undefined)
    }
    await connection?.close()
    await app?.cleanup()
  })

  it('serves the API until SIGTERM', async () => {
    const port = await freePort()
    const api = startRole('api', { ...env, API_PORT: String(port) })

    try {
      await waitFor('/readyz returning 200', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, api)
      const health = await fetch(`http://127.0.0.1:${port}/healthz`)

      expect(health.status).toBe(200)
    } finally {
      expect(await stopRole(api)).toBe(0)
    }
  })

  it('runs a worker polling the task queue', async () => {
    const worker = startRole('worker', env)
    const pollerCount = async () => {
      const description = await client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      })
      return (description.pollers ?? []).filter((poller) => poller.identity?.startsWith(`${worker.pid}@`)).length
    }

    try {
      await waitFor('the worker polling for activities', async () => (await pollerCount()) > 0, worker)

      expect(await pollerCount()).toBe(1)
    } finally {
      expect(await stopRole(worker)).toBe(0)
    }
  })

  it('runs the ops CLI with its arguments', () => {
    const result = spawnSync(ENTRYPOINT, ['ops', 'backup', 'list', '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      encoding: 'utf8',
    })

    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual([])
  })

  it('creates both buckets, then finds them', async () => {
    const s3 = inject('s3')
    const buckets = { S3_BUCKET: `private-${randomBytes(4).toString('hex')}`, MIRROR_S3_BUCKET: `mirror-${randomBytes(4).toString('hex')}` }
    const storeEnv = { S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey, ...buckets }
    const run = () => spawnSync(ENTRYPOINT, ['create-buckets'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...storeEnv }, encoding: 'utf8' })

    const first = run()
    const second = run()

    expect(first.status).toBe(0)
    expect(first.stdout.match(/"msg":"bucket created"/g)).toHaveLength(2)
    expect(second.status).toBe(0)
    expect(second.stdout.match(/"msg":"bucket exists"/g)).toHaveLength(2)
    const storeClient = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3 })
    try {
      for (const bucket of Object.values(buckets)) {
        await expect(storeClient.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined()
      }
    } finally {
      storeClient.destroy()
    }
  })

  it('names the missing bucket settings', () => {
    const result = spawnSync(ENTRYPOINT, ['create-buckets'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' })

    expect(result.status).not.toBe(0)
    expect(result.stderr).toContain('S3_ENDPOINT')
    expect(result.stderr).toContain('S3_BUCKET')
    expect(result.stderr).toContain('MIRROR_S3_BUCKET')
  })

  it('rejects an unknown role with status 64', () => {
    const result = spawnSync(ENTRYPOINT, ['scheduler'], { cwd: ROOT, encoding: 'utf8' })

    expect(result.status).toBe(64)
    expect(result.stderr).toContain('unknown role "scheduler"')
  })
})
