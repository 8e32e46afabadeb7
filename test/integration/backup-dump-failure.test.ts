import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDatabase, withDatabase, type Sql } from '../../data/db'
import { LocalObjectStore } from '../../storage/local'
import { backupActivities, dumpWithActivities } from '../activity-support'
import { filesEndingWith } from '../fault-support'
import { createDatabase, createTestApp, dropDatabase, SERVER_URL, uniqueName, type TestApp } from '../support'

/** A local store whose writes wait before reading their body, like a store still opening its upload. */
class SlowToOpenStore extends LocalObjectStore {
  writesStarted = 0

  override async put(key: string, body: Readable): Promise<void> {
    this.writesStarted++
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    return super.put(key, body)
  }
}

describe('dump that fails before storage reads it', () => {
  const source = uniqueName('locked_source')
  let app: TestApp
  let root: string
  let sourceSql: Sql

  beforeAll(async () => {
    app = await createTestApp()
    root = await mkdtemp(join(tmpdir(), 'dump-failure-'))
    await createDatabase(source)
    sourceSql = connectDatabase(withDatabase(SERVER_URL, source), { max: 2 })
    await sourceSql`CREATE TABLE attendance (id int PRIMARY KEY, mark text)`
    await sourceSql`INSERT INTO attendance SELECT i, 'present' FROM generate_series(1, 100) i`
    await sourceSql.unsafe(`ALTER DATABASE "${source}" SET lock_timeout = '300ms'`)
  })

  afterAll(async () => {
    await sourceSql?.end()
    await dropDatabase(source)
    await app?.cleanup()
    await rm(root, { recursive: true, force: true })
  })

  it('fails the activity without an uncaught error', async () => {
    const uncaught: unknown[] = []
    const record = (error: unknown) => uncaught.push(error)
    process.on('uncaughtException', record)
    const storage = new SlowToOpenStore(root)
    const activities = backupActivities(app.sql, storage, [source])

    // The row count waits for the lock and gives up after lock_timeout, while the store has
    // not yet started reading the dump.
    const failure = await sourceSql.begin(async (tx) => {
      await tx`LOCK TABLE attendance IN ACCESS EXCLUSIVE MODE`
      return dumpWithActivities(activities, source).then(
        () => null,
        (error: unknown) => error as Error,
      )
    })
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    process.off('uncaughtException', record)

    expect(failure?.message).toMatch(/lock timeout/)
    expect(storage.writesStarted).toBe(1)
    expect(uncaught).toEqual([])
    expect(await filesEndingWith(root, '')).toEqual([])
  }, 30_000)
})
