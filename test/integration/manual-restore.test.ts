import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackup } from '../../client/backups'
import { connectDatabase, withDatabase } from '../../data/db'
import { LocalObjectStore } from '../../storage/local'
import { seedSchool } from '../accounts-support'
import { createTestApp, dropDatabase, SERVER_URL, testConfig, uniqueName, type TestApp } from '../support'
import { startHarness, temporalAddressForTests, type TemporalHarness } from '../temporal-support'

/** Runs one shell line of the README's manual restore, with libpq pointed at the test server. */
function shell(line: string, cwd: string): string {
  const server = new URL(SERVER_URL)
  return execFileSync('sh', ['-euc', line], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', PGHOST: server.hostname, PGPORT: server.port || '5432', PGUSER: decodeURIComponent(server.username) },
  })
}

describe('manual restore from the README', () => {
  const target = uniqueName('hand_restored')
  let app: TestApp
  let harness: TemporalHarness
  const taskQueue = uniqueName('manual_restore_tq')

  beforeAll(async () => {
    app = await createTestApp()
    const schoolId = await seedSchool(app.sql)
    await app.sql`
      INSERT INTO student (school_id, admission_number, first_name, last_name, birth_date, admitted_on)
      SELECT ${schoolId}, 'HR-' || i, 'Student', 'Number ' || i, '2012-01-01', '2024-09-01' FROM generate_series(1, 40) i`
    const config = testConfig({
      DATABASE_URL: app.url,
      TEMPORAL_ADDRESS: temporalAddressForTests(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      BACKUP_DATABASES: app.name,
    })
    harness = await startHarness(config, app.sql, new LocalObjectStore(app.storageRoot))
  })

  afterAll(async () => {
    await harness?.close()
    await dropDatabase(target)
    await app?.cleanup()
  })

  it('restores with client tools alone', async () => {
    await (await startBackup(harness.client, { database: app.name, taskQueue })).result()
    const catalogLine = shell(
      `psql -At -d ${app.name} -c "SELECT object_key FROM backup WHERE status = 'verified' ORDER BY verified_at DESC LIMIT 1"`,
      app.storageRoot,
    )
    const objectKey = catalogLine.trim()
    const file = join(app.storageRoot, objectKey)

    const expectedSha = shell(`jq -r .sha256 '${file}.manifest.json'`, app.storageRoot).trim()
    const actualSha = shell(`sha256sum '${file}' | cut -d' ' -f1`, app.storageRoot).trim()
    shell(`pg_restore --list '${file}' > /dev/null`, app.storageRoot)
    shell(`dropdb --if-exists ${target} && createdb ${target}`, app.storageRoot)
    shell(`pg_restore --no-owner --no-acl -j 2 -d ${target} '${file}'`, app.storageRoot)
    const manifestCounts = shell(`jq -r '.tables[] | "\\(.table) \\(.rows)"' '${file}.manifest.json'`, app.storageRoot)

    expect(objectKey).toMatch(new RegExp(`^backups/${app.name}/`))
    expect(actualSha).toMatch(/^[0-9a-f]{64}$/)
    expect(actualSha).toBe(expectedSha)
    const restored = connectDatabase(withDatabase(SERVER_URL, target), { max: 1 })
    try {
      const lines = manifestCounts.trim().split('\n')
      expect(lines.length).toBeGreaterThan(5)
      for (const line of lines) {
        const [table, rows] = line.split(' ') as [string, string]
        const [schema, name] = table.split('.') as [string, string]
        const [count] = await restored<{ n: string }[]>`SELECT count(*) AS n FROM ${restored(schema)}.${restored(name)}`
        expect(Number(count?.n), table).toBe(Number(rows))
      }
      const [students] = await restored<{ n: string }[]>`SELECT count(*) AS n FROM student`
      expect(Number(students?.n)).toBe(40)
    } finally {
      await restored.end()
    }
  })
})
