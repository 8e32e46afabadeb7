import { createHash } from 'node:crypto'
import type { Sql } from '../data/db'

// Databases no restore may replace, whatever the caller asks.
const PROTECTED_DATABASES = new Set(['postgres', 'template0', 'template1'])

export function isProtectedDatabase(name: string): boolean {
  return PROTECTED_DATABASES.has(name)
}

/**
 * Drops the database if it exists and creates it empty, the customer's dropdb/createdb steps.
 * Sessions still connected to the old database are ended (PostgreSQL 13 and later).
 */
export async function recreateDatabase(admin: Sql, name: string, template?: string): Promise<void> {
  await dropDatabase(admin, name)
  if (template === undefined) await admin`CREATE DATABASE ${admin(name)}`
  else await admin`CREATE DATABASE ${admin(name)} TEMPLATE ${admin(template)}`
}

export async function dropDatabase(admin: Sql, name: string): Promise<void> {
  await admin`DROP DATABASE IF EXISTS ${admin(name)} WITH (FORCE)`
}

/**
 * Names the scratch database of a backup's restore drill. The name depends only on the
 * backup, so a retried drill drops what an earlier attempt left behind.
 */
export function scratchDatabaseName(prefix: string, backupId: string): string {
  const suffix = createHash('sha256').update(backupId).digest('hex').slice(0, 16)
  return `${prefix}_${suffix}`
}
