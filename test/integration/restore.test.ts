import { ApplicationFailure } from '@temporalio/common'
import { readdir } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findBackup } from '../../data/backup-catalog'
import { connectDatabase, withDatabase } from '../../data/db'
import { replacedDatabasePrefix, restoreLockName, stagingDatabaseName } from '../../activities/restore'
import { LocalObjectStore } from '../../storage/local'
import { backupActivities, dumpWithActivities, restoreActivities, runActivity } from '../activity-support'
import { createDatabase, createTestApp, dropDatabase, onServer, SERVER_URL, uniqueName, type TestApp } from '../support'

async function onDatabase<T>(database: string, work: (sql: ReturnType<typeof connectDatabase>) => Promise<T>): Promise<T> {
  const sql = connectDatabase(withDatabase(SERVER_URL, database), { max: 1 })
  try {
    return await work(sql)
  } finally {
    await sql.end()
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = await onServer((sql) => sql`SELECT 1 FROM pg_database WHERE datname = ${name}`)
  return rows.length > 0
}

/** Counts the databases whose names start with the target's replaced-name prefix. */
async function replacedDatabases(target: string): Promise<number> {
  const prefix = replacedDatabasePrefix(target)
  const rows = await onServer((sql) => sql`SELECT 1 FROM pg_database WHERE left(datname, ${prefix.length}) = ${prefix}`)
  return rows.length
}

/**
 * Opens a transaction on the database that changes its own catalog row and then sleeps, which
 * blocks ALTER DATABASE on it until the session ends. Returns the session, once it sleeps.
 */
async function lockCatalogRow(database: string): Promise<ReturnType<typeof connectDatabase>> {
  const session = connectDatabase(withDatabase(SERVER_URL, database), { max: 1 })
  session
    .begin(async (sql) => {
      await sql`GRANT CONNECT ON DATABASE ${sql(database)} TO PUBLIC`
      await sql`SELECT pg_sleep(60)`
    })
    .catch(() => undefined)
  const sleeping = () =>
    onServer((sql) => sql`SELECT 1 FROM pg_stat_activity WHERE datname = ${database} AND query LIKE '%pg_sleep%'`)
  await expect.poll(async () => (await sleeping()).length).toBe(1)
  return session
}

/** Lists the files a restore pinned in the local store and did not remove. */
async function pinnedFiles(root: string): Promise<string[]> {
  const files = await readdir(root, { recursive: true })
  return files.filter((file) => file.includes('.pin-'))
}

async function rejection(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(ApplicationFailure)
  return error as ApplicationFailure
}

describe('restore activity', () => {
  const created: string[] = []
  const roles: string[] = []
  let app: TestApp
  let storage: LocalObjectStore

  async function database(prefix: string): Promise<string> {
    const name = uniqueName(prefix)
    created.push(name)
    await createDatabase(name)
    return name
  }

  /** Creates a database with one table `t` of ids 1 to `rows`. */
  async function sourceWithRows(prefix: string, rows: number): Promise<string> {
    const name = await database(prefix)
    await onDatabase(name, async (sql) => {
      await sql`CREATE TABLE t (id int)`
      await sql`INSERT INTO t SELECT generate_series(1, ${rows})`
    })
    return name
  }

  beforeAll(async () => {
    app = await createTestApp()
    storage = new LocalObjectStore(app.storageRoot)
  })

  afterAll(async () => {
    for (const name of created) await dropDatabase(name)
    for (const role of roles) await onServer((sql) => sql`DROP ROLE IF EXISTS ${sql(role)}`)
    await app?.cleanup()
  })

  it('restores when the source owner role no longer exists', async () => {
    const owner = uniqueName('owner')
    roles.push(owner)
    await onServer((sql) => sql`CREATE ROLE ${sql(owner)}`)
    const source = await database('owned_src')
    await onDatabase(source, async (sql) => {
      await sql`CREATE TABLE student (id int PRIMARY KEY, name text)`
      await sql`INSERT INTO student SELECT i, 'student ' || i FROM generate_series(1, 50) i`
      await sql`ALTER TABLE student OWNER TO ${sql(owner)}`
    })
    const backups = backupActivities(app.sql, storage, [source])
    const backup = await dumpWithActivities(backups, source)

    // The fresh server of a disaster has none of the old roles.
    await dropDatabase(source)
    await onServer((sql) => sql`DROP ROLE ${sql(owner)}`)
    const target = uniqueName('owned_dst')
    created.push(target)
    const result = await runActivity(restoreActivities(app.sql, storage, []).restoreBackup, {
      manifestKey: backup.manifestKey,
      targetDatabase: target,
      force: false,
    })

    expect(result.rowCountMismatch).toBeNull()
    expect(result.rows).toBe(50)
    expect(result.ignoredErrors).toEqual([])
  })

  it('restores into a database that already has the extensions and schema', async () => {
    const source = await database('ext_src')
    await onDatabase(source, async (sql) => {
      await sql`CREATE EXTENSION pgcrypto`
      await sql`CREATE EXTENSION citext`
      await sql`CREATE SCHEMA records`
      await sql`CREATE TABLE records.guardian (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email citext)`
      await sql`INSERT INTO records.guardian (email) SELECT 'Parent' || i || '@Example.org' FROM generate_series(1, 20) i`
    })
    const template = await database('ext_tpl')
    await onDatabase(template, async (sql) => {
      await sql`CREATE EXTENSION pgcrypto`
      await sql`CREATE EXTENSION citext`
      await sql`CREATE SCHEMA records`
    })
    const backup = await dumpWithActivities(backupActivities(app.sql, storage, [source]), source)
    const target = uniqueName('ext_dst')
    created.push(target)

    const result = await runActivity(restoreActivities(app.sql, storage, []).restoreBackup, {
      backupId: backup.backupId,
      targetDatabase: target,
      force: false,
      template,
    })

    expect(result.rowCountMismatch).toBeNull()
    expect(result.ignoredErrors.map((error) => error.message)).toEqual(['schema "records" already exists'])
    const [row] = await onDatabase(target, (sql) => sql<{ n: string }[]>`SELECT count(*) AS n FROM records.guardian WHERE email = 'parent1@example.org'`)
    expect(Number(row?.n)).toBe(1)
  })

  it('fails on a conflicting table and retries from a clean database', async () => {
    const source = await database('clash_src')
    await onDatabase(source, (sql) => sql`CREATE TABLE clash (id int)`)
    const template = await database('clash_tpl')
    await onDatabase(template, (sql) => sql`CREATE TABLE clash (id int, other text)`)
    const backup = await dumpWithActivities(backupActivities(app.sql, storage, [source]), source)
    const target = uniqueName('clash_dst')
    created.push(target)
    const restore = restoreActivities(app.sql, storage, []).restoreBackup

    const failure = await rejection(runActivity(restore, { backupId: backup.backupId, targetDatabase: target, force: false, template }))
    const retried = await runActivity(restore, { backupId: backup.backupId, targetDatabase: target, force: false })

    expect(failure.type).toBe('BackupNotRestorable')
    expect(failure.message).toContain('relation "clash" already exists')
    expect(await databaseExists(stagingDatabaseName(target))).toBe(false)
    expect(retried.rowCountMismatch).toBeNull()
    expect(retried.ignoredErrors).toEqual([])
  })

  it('refuses a live database unless forced', async () => {
    const live = await database('live')
    await onDatabase(live, (sql) => sql`CREATE TABLE kept (id int)`)
    const backup = await dumpWithActivities(backupActivities(app.sql, storage, [live]), live)
    const restore = restoreActivities(app.sql, storage, [live]).restoreBackup

    const refused = await rejection(runActivity(restore, { backupId: backup.backupId, targetDatabase: live, force: false }))
    const forced = await runActivity(restore, { backupId: backup.backupId, targetDatabase: live, force: true })

    expect(refused.type).toBe('InvalidRestoreTarget')
    expect(refused.nonRetryable).toBe(true)
    expect(forced.tables).toBe(1)
  })

  it('refuses an existing database that no restore made', async () => {
    const source = await database('exist_src')
    await onDatabase(source, (sql) => sql`CREATE TABLE t (id int)`)
    const backup = await dumpWithActivities(backupActivities(app.sql, storage, [source]), source)
    const existing = await database('exist_dst')
    await onDatabase(existing, (sql) => sql`CREATE TABLE someone_elses (id int)`)
    const restore = restoreActivities(app.sql, storage, []).restoreBackup

    const refused = await rejection(runActivity(restore, { backupId: backup.backupId, targetDatabase: existing, force: false }))
    const [kept] = await onDatabase(existing, (sql) => sql`SELECT to_regclass('someone_elses') AS name`)
    const forced = await runActivity(restore, { backupId: backup.backupId, targetDatabase: existing, force: true })
    const again = await runActivity(restore, { backupId: backup.backupId, targetDatabase: existing, force: false })

    expect(refused.type).toBe('InvalidRestoreTarget')
    expect(refused.message).toContain('was not made by a restore')
    expect(kept?.name).toBe('someone_elses')
    expect(forced.tables).toBe(1)
    expect(again.tables).toBe(1)
  })

  it('replaces a connected target, then drops it', async () => {
    const source = await sourceWithRows('aside_src', 5)
    const backup = await dumpWithActivities(backupActivities(app.sql, storage, [source]), source)
    const target = await database('aside_dst')
    await onDatabase(target, (sql) => sql`CREATE TABLE old_only (id int)`)
    // As left by a restore whose worker stopped before it dropped the database it replaced.
    const leftover = `${replacedDatabasePrefix(target)}0a1b2c`
    await createDatabase(leftover)
    created.push(leftover)
    const appPool = connectDatabase(withDatabase(SERVER_URL, target), { max: 1 })
    await appPool`SELECT 1`
    const openTransaction = await lockCatalogRow(target)
    const restore = restoreActivities(app.sql, storage, []).restoreBackup

    const result = await runActivity(restore, { backupId: backup.backupId, targetDatabase: target, force: true })
    // The restore ended the pool's session, so its next query connects to the restored database.
    const [row] = await appPool<{ n: number; old: string | null }[]>`SELECT count(*)::int AS n, to_regclass('old_only')::text AS old FROM t`
    await appPool.end()
    await openTransaction.end()

    expect(result.rows).toBe(5)
    expect(row).toEqual({ n: 5, old: null })
    await expect.poll(() => replacedDatabases(target), { timeout: 10_000 }).toBe(0)
  })

  it('rejects a template database as target', async () => {
    const source = await database('tpl_src')
    await onDatabase(source, (sql) => sql`CREATE TABLE t (id int)`)
    const backup = await dumpWithActivities(backupActivities(app.sql, storage, [source]), source)
    const target = await database('tpl_dst')
    await onServer((sql) => sql`ALTER DATABASE ${sql(target)} IS_TEMPLATE true`)
    const restore = restoreActivities(app.sql, storage, []).restoreBackup

    const refused = await rejection(runActivity(restore, { backupId: backup.backupId, targetDatabase: target, force: true }))
    await onServer((sql) => sql`ALTER DATABASE ${sql(target)} IS_TEMPLATE false`)

    expect(refused.type).toBe('InvalidRestoreTarget')
    expect(refused.message).toContain(`database "${target}" is a template`)
    expect(await databaseExists(stagingDatabaseName(target))).toBe(false)
  })

  it('rejects a second concurrent restore', async () => {
    const source = await sourceWithRows('busy_src', 3)
    const backup = await dumpWithActivities(backupActivities(app.sql, storage, [source]), source)
    const target = uniqueName('busy_dst')
    created.push(target)
    const restore = restoreActivities(app.sql, storage, []).restoreBackup
    await runActivity(restore, { backupId: backup.backupId, targetDatabase: target, force: false })
    await onDatabase(target, (sql) => sql`INSERT INTO t VALUES (4)`)

    // This session takes the lock the way a running restore into the same target would.
    const running = connectDatabase(withDatabase(SERVER_URL, 'postgres'), { max: 1 })
    await running`SELECT pg_advisory_lock(hashtextextended(${restoreLockName(target)}, 0))`
    const attempt = runActivity(restore, { backupId: backup.backupId, targetDatabase: target, force: false })
    const busy = await rejection(attempt)
    await running.end()
    const [kept] = await onDatabase(target, (sql) => sql<{ n: number }[]>`SELECT count(*)::int AS n FROM t`)
    const stagingLeft = await databaseExists(stagingDatabaseName(target))
    const later = await runActivity(restore, { backupId: backup.backupId, targetDatabase: target, force: false })

    expect(busy.type).toBe('RestoreTargetBusy')
    expect(busy.nonRetryable).toBe(false)
    expect(busy.message).toContain(`another restore into database "${target}" is already running`)
    expect(kept?.n).toBe(4)
    expect(stagingLeft).toBe(false)
    expect(later.rows).toBe(3)
  })

  it("refuses another database's backup over a live one", async () => {
    const live = await database('live_a')
    const other = await database('live_b')
    await onDatabase(other, (sql) => sql`CREATE TABLE t (id int)`)
    const backup = await dumpWithActivities(backupActivities(app.sql, storage, [other]), other)
    const restore = restoreActivities(app.sql, storage, [live, other]).restoreBackup

    const refused = await rejection(runActivity(restore, { backupId: backup.backupId, targetDatabase: live, force: true }))

    expect(refused.type).toBe('InvalidRestoreTarget')
    expect(refused.message).toContain(`cannot replace the live database "${live}"`)
  })

  it('leaves the target untouched when the backup is corrupt', async () => {
    const source = await sourceWithRows('keep_src', 7)
    const backups = backupActivities(app.sql, storage, [source])
    const good = await dumpWithActivities(backups, source)
    const bad = await dumpWithActivities(backups, source)
    await storage.put(bad.objectKey, Readable.from([Buffer.from('truncated')]))
    const target = uniqueName('keep_dst')
    created.push(target)
    const restore = restoreActivities(app.sql, storage, []).restoreBackup
    await runActivity(restore, { backupId: good.backupId, targetDatabase: target, force: false })

    const failure = await rejection(runActivity(restore, { backupId: bad.backupId, targetDatabase: target, force: false }))
    const [row] = await onDatabase(target, (sql) => sql<{ n: string }[]>`SELECT count(*) AS n FROM t`)

    expect(failure.type).toBe('BackupNotRestorable')
    expect(Number(row?.n)).toBe(7)
    expect(await pinnedFiles(app.storageRoot)).toEqual([])
  })

  it('stops a restore whose checksum check fails alongside', async () => {
    const source = await sourceWithRows('swap_src', 7)
    const backups = backupActivities(app.sql, storage, [source])
    const good = await dumpWithActivities(backups, source)
    await onDatabase(source, (sql) => sql`INSERT INTO t VALUES (8)`)
    const swapped = await dumpWithActivities(backups, source)
    // A readable archive with other bytes than its manifest records, so pg_restore runs.
    await storage.put(swapped.objectKey, await storage.get(good.objectKey))
    const target = uniqueName('swap_dst')
    created.push(target)
    const restore = restoreActivities(app.sql, storage, []).restoreBackup
    await runActivity(restore, { backupId: good.backupId, targetDatabase: target, force: false })
    await onDatabase(target, (sql) => sql`INSERT INTO t VALUES (100)`)

    const failure = await rejection(runActivity(restore, { backupId: swapped.backupId, targetDatabase: target, force: false }))
    const [row] = await onDatabase(target, (sql) => sql<{ n: string }[]>`SELECT count(*) AS n FROM t`)

    expect(failure.type).toBe('BackupNotRestorable')
    expect(failure.message).toMatch(/has SHA-256 [0-9a-f]{64} but its manifest records/)
    expect(Number(row?.n)).toBe(8)
    expect(await databaseExists(stagingDatabaseName(target))).toBe(false)
  })

  it('finds a backup in storage when the catalog lacks it', async () => {
    const source = await database('lost_src')
    await onDatabase(source, (sql) => sql`CREATE TABLE t (id int)`)
    const backup = await dumpWithActivities(backupActivities(app.sql, storage, [source]), source)
    await app.sql`DELETE FROM backup WHERE id = ${backup.backupId}`
    await storage.put(`backups/${source}/damaged.dump.manifest.json`, Readable.from(['{ not json']))
    const target = uniqueName('lost_dst')
    created.push(target)

    const result = await runActivity(restoreActivities(app.sql, storage, []).restoreBackup, {
      backupId: backup.backupId,
      targetDatabase: target,
      force: false,
    })

    expect(result.tables).toBe(1)
    expect(result.rowCountMismatch).toBeNull()
  })

  it('refuses system databases and malformed names', async () => {
    const restore = restoreActivities(app.sql, storage, []).restoreBackup

    const system = await rejection(runActivity(restore, { backupId: 'any', targetDatabase: 'template1', force: true }))
    const malformed = await rejection(runActivity(restore, { backupId: 'any', targetDatabase: 'a"; DROP', force: true }))

    expect(system.message).toContain('is a system database')
    expect(malformed.type).toBe('InvalidRestoreTarget')
  })

  it('refuses a stored object whose checksum changed', async () => {
    const source = await database('tamper_src')
    await onDatabase(source, (sql) => sql`CREATE TABLE t (id int)`)
    const backup = await dumpWithActivities(backupActivities(app.sql, storage, [source]), source)
    await storage.put(backup.objectKey, Readable.from([Buffer.from('not the dump')]))

    const failure = await rejection(
      runActivity(restoreActivities(app.sql, storage, []).restoreBackup, {
        backupId: backup.backupId,
        targetDatabase: uniqueName('tamper_dst'),
        force: false,
      }),
    )

    expect(failure.type).toBe('BackupNotRestorable')
    expect(failure.message).toContain('SHA-256')
  })

  it('marks a backup whose drill fails and drops the scratch database', async () => {
    const source = await database('drill_src')
    await onDatabase(source, (sql) => sql`CREATE TABLE t (id int)`)
    const backups = backupActivities(app.sql, storage, [source])
    const backup = await dumpWithActivities(backups, source)
    await storage.put(backup.objectKey, Readable.from([Buffer.from('corrupted in storage')]))

    const result = await runActivity(backups.verifyBackup, { backupId: backup.backupId, manifestKey: backup.manifestKey })

    expect(result.status).toBe('failed')
    expect(result.reason).toContain('SHA-256')
    expect((await findBackup(app.sql, backup.backupId))?.status).toBe('failed')
    const [scratch] = await onServer((sql) => sql`SELECT 1 FROM pg_database WHERE datname = ${result.scratchDatabase}`)
    expect(scratch).toBeUndefined()
  })

  it('backs up and restores in the plain SQL format', async () => {
    const source = await database('plain_src')
    await onDatabase(source, async (sql) => {
      await sql`CREATE TABLE notice (id int, body text)`
      await sql`INSERT INTO notice SELECT i, 'notice ' || i FROM generate_series(1, 30) i`
    })
    const backups = backupActivities(app.sql, storage, [source], 'plain')
    const backup = await dumpWithActivities(backups, source)
    const target = uniqueName('plain_dst')
    created.push(target)

    const drill = await runActivity(backups.verifyBackup, { backupId: backup.backupId, manifestKey: backup.manifestKey })
    const result = await runActivity(restoreActivities(app.sql, storage, []).restoreBackup, {
      backupId: backup.backupId,
      targetDatabase: target,
      force: false,
    })

    expect(backup.objectKey.endsWith('.sql')).toBe(true)
    expect(drill.status).toBe('verified')
    expect(result.rows).toBe(30)
  })
})
