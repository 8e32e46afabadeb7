import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countWhileLoading } from '../../activities/row-counts'
import { connectDatabase, withDatabase, type Sql } from '../../data/db'
import { createDatabase, dropDatabase, SERVER_URL, uniqueName } from '../support'

describe('row counts while a restore loads', () => {
  const database = uniqueName('loading_counts')
  let sql: Sql

  beforeAll(async () => {
    await createDatabase(database)
    sql = connectDatabase(withDatabase(SERVER_URL, database), { max: 2 })
    await sql`CREATE TABLE attendance (id int)`
    await sql`INSERT INTO attendance SELECT generate_series(1, 1000)`
    await sql`CREATE SCHEMA "old term"`
    await sql`CREATE TABLE "old term"."report card" (id int)`
    await sql`INSERT INTO "old term"."report card" VALUES (1)`
    await sql`CREATE TABLE marks (term int) PARTITION BY LIST (term)`
    await sql`CREATE TABLE marks_1 PARTITION OF marks FOR VALUES IN (1)`
    await sql`INSERT INTO marks SELECT 1 FROM generate_series(1, 5)`
  })

  afterAll(async () => {
    await sql?.end()
    await dropDatabase(database)
  })

  it('keeps early counts and recounts partitions at the end', async () => {
    const counter = countWhileLoading(sql, 2)

    await counter.loaded('old term', 'report card')
    await counter.loaded('public', 'marks_1')
    await counter.loaded('public', 'no_such_table')
    // Rows added after a table was counted show whether `finish` counted it again.
    await sql`INSERT INTO "old term"."report card" VALUES (2)`
    await sql`INSERT INTO marks VALUES (1)`
    const counts = await counter.finish()

    expect(counts).toEqual([
      { table: '"old term"."report card"', rows: 1 },
      { table: 'public.attendance', rows: 1000 },
      { table: 'public.marks_1', rows: 6 },
    ])
  })
})
