import postgres from 'postgres'

export type Sql = postgres.Sql

/** A pool or a transaction: what a function that only runs queries needs. */
export type Queryable = postgres.Sql | postgres.TransactionSql

export interface DatabaseOptions {
  /** Pool size; the API and worker each keep one pool. */
  max?: number
  /** Application name shown in pg_stat_activity. */
  applicationName?: string
  /** Seconds to wait for a connection before failing; postgres.js waits 30 by default. */
  connectTimeoutSeconds?: number
}

/** Opens a connection pool; nothing connects until the first query. */
export function connectDatabase(url: string, options: DatabaseOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 30,
    connection: { application_name: options.applicationName ?? 'school-ops' },
    onnotice: () => {},
    transform: { undefined: null },
    // Calendar dates stay `YYYY-MM-DD` strings instead of becoming midnight in the local zone.
    types: { date: { to: 1082, from: [1082], serialize: (value: string) => value, parse: (value: string) => value } },
  })
}

/** Returns a copy of a connection URL that points at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${encodeURIComponent(database)}`
  return parsed.toString()
}

/** Creates the URL's database when the server does not have it yet; returns true if created. */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1))
  const admin = postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => {} })

  try {
    const [existing] = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`
    if (existing) return false
    await admin`CREATE DATABASE ${admin(name)}`
    return true
  } finally {
    await admin.end()
  }
}
