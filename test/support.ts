import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { loadConfig, type Config } from '../config'
import { connectDatabase, withDatabase, type Sql } from '../data/db'
import { migrate } from '../data/migrate'

/** The machine's PostgreSQL server, reached over loopback as the postgres superuser. */
export const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))

/** Returns a database name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`
}

/** Runs statements on the maintenance database, such as CREATE and DROP DATABASE. */
export async function onServer<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = postgres(SERVER_URL, { max: 1, onnotice: () => {} })
  try {
    return await work(sql)
  } finally {
    await sql.end()
  }
}

export async function createDatabase(name: string): Promise<void> {
  await onServer((sql) => sql`CREATE DATABASE ${sql(name)}`)
}

export async function dropDatabase(name: string): Promise<void> {
  await onServer((sql) => sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`)
}

export interface TestApp {
  name: string
  url: string
  sql: Sql
  storageRoot: string
  cleanup(): Promise<void>
}

/** Creates and migrates an application database of its own, with a private storage folder. */
export async function createTestApp(): Promise<TestApp> {
  const name = uniqueName('school_ops_test')
  await createDatabase(name)
  const url = withDatabase(SERVER_URL, name)
  const sql = connectDatabase(url, { max: 4 })
  await migrate(sql)
  const storageRoot = await mkdtemp(join(tmpdir(), 'school-ops-storage-'))

  return {
    name,
    url,
    sql,
    storageRoot,
    async cleanup() {
      await sql.end()
      await dropDatabase(name)
      await rm(storageRoot, { recursive: true, force: true })
    },
  }
}

/** Builds a valid configuration for tests, with overrides on top of the defaults. */
export function testConfig(overrides: Record<string, string | undefined>): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: withDatabase(SERVER_URL, 'postgres'),
    NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:3000',
    ...overrides,
  })
}
