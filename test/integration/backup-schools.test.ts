import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackup } from '../../client/backups'
import { findBackup } from '../../data/backup-catalog'
import { OPS_TARGET } from '../../domain/search-attributes'
import { readManifest } from '../../storage/backup-manifests'
import { LocalObjectStore } from '../../storage/local'
import { seedSchool } from '../accounts-support'
import { createDatabase, createTestApp, dropDatabase, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, type TemporalHarness } from '../temporal-support'

describe('backup of the shared school database', () => {
  const otherDatabase = uniqueName('no_schools')
  let app: TestApp
  let harness: TemporalHarness
  let storage: LocalObjectStore
  const taskQueue = uniqueName('schools_tq')

  beforeAll(async () => {
    app = await createTestApp()
    await createDatabase(otherDatabase)
    storage = new LocalObjectStore(app.storageRoot)
    const config = testConfig({
      DATABASE_URL: app.url,
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      BACKUP_DATABASES: `${app.name},${otherDatabase}`,
    })
    harness = await startHarness(config, app.sql, storage)
  })

  afterAll(async () => {
    await harness?.close()
    await dropDatabase(otherDatabase)
    await app?.cleanup()
  })

  it('lists every school in the manifest', async () => {
    const northId = await seedSchool(app.sql, 'North Primary')
    const southId = await seedSchool(app.sql, 'South High')

    const handle = await startBackup(harness.client, { database: app.name, taskQueue })
    const result = await handle.result()
    const record = await findBackup(app.sql, result.backupId)
    const manifest = await readManifest(storage, record!.manifestKey!)
    const description = await handle.describe()

    expect(manifest.verification?.status).toBe('verified')
    expect(manifest.schools).toEqual([
      { id: northId, slug: 'north-primary' },
      { id: southId, slug: 'south-high' },
    ])
    expect(handle.workflowId.startsWith(`backup-${app.name}-`)).toBe(true)
    expect(description.typedSearchAttributes.get(OPS_TARGET)).toBe(app.name)
  })

  it('lists no school for another database', async () => {
    const result = await (await startBackup(harness.client, { database: otherDatabase, taskQueue })).result()
    const record = await findBackup(app.sql, result.backupId)

    const manifest = await readManifest(storage, record!.manifestKey!)

    expect(manifest.schools).toEqual([])
  })
})
