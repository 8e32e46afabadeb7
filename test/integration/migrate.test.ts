import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { connectDatabase, withDatabase } from '../../data/db'
import { migrate, MigrationChangedError, readMigrations } from '../../data/migrate'
import { createDatabase, dropDatabase, SERVER_URL, uniqueName } from '../support'

describe('migrate', () => {
  const cleanups: (() => Promise<void>)[] = []

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup()
  })

  async function emptyDatabase() {
    const name = uniqueName('migrate')
    await createDatabase(name)
    const sql = connectDatabase(withDatabase(SERVER_URL, name), { max: 4 })
    cleanups.push(async () => {
      await sql.end()
      await dropDatabase(name)
    })
    return sql
  }

  it('applies every migration once', async () => {
    const sql = await emptyDatabase()

    const first = await migrate(sql)
    const second = await migrate(sql)

    expect(first).toEqual((await readMigrations()).map((migration) => migration.fileName))
    expect(second).toEqual([])
    const tables = await sql<{ name: string }[]>`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`
    expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['backup', 'schema_migration', 'school', 'student', 'audit_event', 'dr_run']))
  })

  it('serialises processes migrating at once', async () => {
    const sql = await emptyDatabase()

    const results = await Promise.all([migrate(sql), migrate(sql), migrate(sql)])

    expect(results.flat()).toHaveLength((await readMigrations()).length)
  })

  it('rejects a migration edited after it ran', async () => {
    const sql = await emptyDatabase()
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    await writeFile(join(dir, '0001_first.sql'), 'CREATE TABLE first (id int);')
    await migrate(sql, await readMigrations(dir))
    await writeFile(join(dir, '0001_first.sql'), 'CREATE TABLE first (id bigint);')

    const error = await migrate(sql, await readMigrations(dir)).catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(MigrationChangedError)
  })

  it('leaves the schema unchanged when a migration fails', async () => {
    const sql = await emptyDatabase()
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    await writeFile(join(dir, '0001_good.sql'), 'CREATE TABLE good (id int);')
    await writeFile(join(dir, '0002_bad.sql'), 'CREATE TABLE bad (id no_such_type);')

    const error = await migrate(sql, await readMigrations(dir)).catch((caught: unknown) => caught)

    expect((error as Error).message).toContain('no_such_type')
    const [good] = await sql`SELECT 1 FROM pg_tables WHERE tablename = 'good'`
    expect(good).toBeUndefined()
  })
})
