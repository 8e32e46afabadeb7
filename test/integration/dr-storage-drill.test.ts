import { createServer, type Server } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackup } from '../../client/backups'
import { startDr } from '../../client/dr'
import { startMirror } from '../../client/mirror'
import { LocalObjectStore } from '../../storage/local'
import { seedSchool, seedUser } from '../accounts-support'
import { endLeftoverDrRun, finishDrRun, TargetApp } from '../dr-support'
import { freePort } from '../global-setup'
import { createTestApp, dropDatabase, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, type TemporalHarness } from '../temporal-support'

/**
 * Private storage whose writes fail while `down` is set, as a lost volume would. The DR
 * provision stage's first write stands for a new volume being provisioned, so it ends the outage.
 */
class FailingStore extends LocalObjectStore {
  down = false

  override async put(key: string, body: Readable): Promise<void> {
    if (this.down && key.startsWith('dr-probes/provisioned')) this.down = false
    if (this.down) {
      body.destroy()
      throw new Error('storage volume is not mounted')
    }
    return super.put(key, body)
  }
}

const DOCUMENTS = {
  'documents/s1/payroll/d1/march.pdf': 'march payroll',
  'documents/s1/sensitive/d2/report.txt': 'sensitive report',
}

describe('DR run after storage was lost', () => {
  let app: TestApp
  let primary: FailingStore
  let mirrorRoot: string
  let harness: TemporalHarness
  let target: TargetApp
  let hook: Server
  const drillDatabase = uniqueName('dr_storage')
  const taskQueue = uniqueName('dr_storage_tq')

  beforeAll(async () => {
    app = await createTestApp()
    await seedUser(app.sql, await seedSchool(app.sql), ['admin'])
    primary = new FailingStore(app.storageRoot)
    mirrorRoot = await mkdtemp(join(tmpdir(), 'dr-mirror-'))

    const [targetPort, hookPort] = [await freePort(), await freePort()]
    target = new TargetApp(app.url.replace(app.name, drillDatabase), targetPort)
    hook = createServer((request, response) => {
      void text(request).then(() => {
        target.start()
        response.writeHead(202).end('deploying')
      })
    })
    await new Promise<void>((resolve) => hook.listen(hookPort, '127.0.0.1', resolve))

    const config = testConfig({
      DATABASE_URL: app.url,
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      BACKUP_DATABASES: app.name,
      NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:9',
      DR_TARGET_APP_URL: `http://127.0.0.1:${targetPort}`,
      DR_DEPLOY_HOOK_URL: `http://127.0.0.1:${hookPort}/deploy`,
      DR_HEALTH_TIMEOUT_SECONDS: '30',
    })
    harness = await startHarness(config, app.sql, primary, { mirror: new LocalObjectStore(mirrorRoot) })
    await endLeftoverDrRun(harness.client)

    for (const [key, body] of Object.entries(DOCUMENTS)) await primary.put(key, Readable.from([body]))
    await (await startBackup(harness.client, { database: app.name, taskQueue })).result()
    await (await startMirror(harness.client, { taskQueue })).result()
  })

  afterAll(async () => {
    if (harness) await finishDrRun(harness.client)
    await harness?.close()
    await target?.stop()
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()))
    await dropDatabase(drillDatabase)
    await app?.cleanup()
    if (mirrorRoot) await rm(mirrorRoot, { recursive: true, force: true })
  })

  it('copies private documents back from the mirror', async () => {
    // The documents are gone and the volume is down; the backups survived elsewhere.
    for (const key of Object.keys(DOCUMENTS)) await primary.delete(key)
    primary.down = true

    const handle = await startDr(harness.client, { reason: 'drill: storage lost', requestedBy: 'oncall@school.test', targetDatabase: drillDatabase, taskQueue, retryBackoffSeconds: 0 })
    const report = await handle.result()

    expect(report.diagnosis?.failed).toContain('storage')
    expect(report.status).toBe('succeeded')
    expect(report.stages[3]?.summary).toContain('copied 2 object(s) of private storage back from the mirror')
    for (const [key, body] of Object.entries(DOCUMENTS)) expect(await text(await primary.get(key))).toBe(body)
  })
})
