import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countRestoredRows } from '../../activities/row-counts'
import { connectDatabase, withDatabase, type Sql } from '../../data/db'
import { createDatabase, dropDatabase, SERVER_URL, uniqueName } from '../support'

/** Waits until the server's statistics show the rows this test inserted into `attendance`. */
async function insertsReported(sql: Sql, rows: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const [row] = await sql<{ rows: string }[]>`SELECT n_tup_ins AS rows FROM pg_stat_user_tables WHERE relname = 'attendance'`
    if (Number(row?.rows) === rows) return
    await sql`SELECT pg_stat_force_next_flush()`
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the insert statistics of attendance never arrived')
}

describe('row counts of a restored database', () => {
  const database = uniqueName('restored_counts')
  let sql: Sql

  beforeAll(async () => {
    await createDatabase(database)
    sql = connectDatabase(withDatabase(SERVER_URL, database), { max: 2 })
    await sql`CREATE TABLE attendance (id int)`
    await sql`INSERT INTO attendance SELECT generate_series(1, 1000)`
    await sql`CREATE SCHEMA "old term"`
    await sql`CREATE TABLE "old term"."report card" (id int)`
    await sql`INSERT INTO "old term"."report card" VALUES (1), (2)`
    await insertsReported(sql, 1000)
  })

  afterAll(async () => {
    await sql?.end()
    await dropDatabase(database)
  })

  it('takes matching statistics and counts the rest', async () => {
    // Deleted rows stay in the insert statistic: 1000 for attendance shows the statistic was
    // taken, and 1 for the report cards, whose expected count differs, shows count(*) ran.
    await sql`DELETE FROM attendance WHERE id > 990`
    await sql`DELETE FROM "old term"."report card" WHERE id = 2`
    const expected = [
      { table: 'public.attendance', rows: 1000 },
      { table: '"old term"."report card"', rows: 5 },
    ]

    const counts = await countRestoredRows(sql, 2, expected)

    expect(counts).toContainEqual({ table: 'public.attendance', rows: 1000 })
    expect(counts).toContainEqual({ table: '"old term"."report card"', rows: 1 })
  })

  it('counts every table when nothing is expected', async () => {
    const counts = await countRestoredRows(sql, 2, [])

    expect(counts).toEqual([
      { table: '"old term"."report card"', rows: 1 },
      { table: 'public.attendance', rows: 990 },
    ])
  })
})
