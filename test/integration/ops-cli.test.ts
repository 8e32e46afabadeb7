import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalObjectStore } from '../../storage/local'
import { runOps, type CliRun } from '../cli-support'
import { createTestApp, dropDatabase, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, type TemporalHarness } from '../temporal-support'

describe('ops CLI', () => {
  let app: TestApp
  let harness: TemporalHarness
  let env: Record<string, string>
  const restoredName = uniqueName('cli_restored')

  const ops = (args: string[], overrides: Record<string, string> = {}): Promise<CliRun> => runOps({ ...env, ...overrides }, args)

  beforeAll(async () => {
    app = await createTestApp()
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: app.url,
      NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:3000',
      OPS_API_TOKEN: 'test-ops-token-of-at-least-24-chars',
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: uniqueName('cli_tq'),
      STORAGE_LOCAL_ROOT: app.storageRoot,
    }
    harness = await startHarness(testConfig(env), app.sql, new LocalObjectStore(app.storageRoot))
  })

  afterAll(async () => {
    await harness?.close()
    await dropDatabase(restoredName)
    await app?.cleanup()
  })

  it('backs up now, lists the backup and restores it', async () => {
    const backup = await ops(['backup', 'now', '--json'])
    const { backupId } = JSON.parse(backup.stdout) as { backupId: string }
    const list = await ops(['backup', 'list', '--json'])
    const table = await ops(['backup', 'list'])
    const restore = await ops(['backup', 'restore', backupId, '--to', restoredName])

    expect(backup.status).toBe(0)
    expect(backup.stderr).toContain(`started backup-${app.name}-`)
    expect(list.status).toBe(0)
    expect((JSON.parse(list.stdout) as { id: string; status: string }[])[0]).toMatchObject({ id: backupId, status: 'verified' })
    expect(table.stdout.split('\n')[0]).toMatch(/^BACKUP\s+STATUS\s+AGE\s+SIZE\s+SHA-256\s+REASON$/)
    expect(restore.status).toBe(0)
    expect(restore.stdout).toContain(`restored ${backupId} into ${restoredName}`)
  })

  it('rebuilds the catalog from the manifests in storage', async () => {
    await ops(['backup', 'now'])
    const fromCatalog = JSON.parse((await ops(['backup', 'list', '--json'])).stdout) as { id: string }[]
    await app.sql`DELETE FROM backup`

    const fromStorage = await ops(['backup', 'list', '--json', '--from-storage'])
    const rebuild = await ops(['backup', 'rebuild-catalog'])
    const rebuilt = JSON.parse((await ops(['backup', 'list', '--json'])).stdout) as { id: string; status: string }[]

    expect((JSON.parse(fromStorage.stdout) as { id: string }[]).map((row) => row.id)).toEqual(fromCatalog.map((row) => row.id))
    expect(rebuild.status).toBe(0)
    expect(rebuilt.map((row) => row.id)).toEqual(fromCatalog.map((row) => row.id))
    expect(rebuilt.every((row) => row.status === 'verified')).toBe(true)
  })

  it('refuses to restore over the application database without --force', async () => {
    const [row] = await app.sql<{ id: string }[]>`SELECT id FROM backup WHERE status = 'verified' LIMIT 1`

    const refused = await ops(['backup', 'restore', row!.id, '--to', app.name])

    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('is a live database')
    expect(refused.stderr).toContain('pass --force')
  })

  it('exits 2 with the usage on a bad command line', async () => {
    const unknown = await ops(['backup', 'explode'])
    const missingTarget = await ops(['backup', 'restore', 'some-id'])
    const badName = await ops(['backup', 'now', '--database', 'bad name'])

    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('unknown backup command "explode"')
    expect(missingTarget.stderr).toContain('needs --to DATABASE')
    expect(badName.status).toBe(2)
  })

  it('explains an unreachable Temporal server', async () => {
    const run = await ops(['backup', 'now'], { TEMPORAL_ADDRESS: '127.0.0.1:1' })

    expect(run.status).toBe(1)
    expect(run.stderr).toContain('cannot reach Temporal at 127.0.0.1:1')
  })

  it('names a bad variable and exits 1', async () => {
    const run = await ops(['backup', 'list'], { DATABASE_URL: 'not a url' })

    expect(run.status).toBe(1)
    expect(run.stderr).toContain('DATABASE_URL')
  })
})
