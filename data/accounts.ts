import type { Role } from '../domain/permissions'
import type { Queryable, Sql } from './db'

/** A user as authentication needs it. */
export interface UserAccount {
  id: string
  schoolId: string
  email: string
  displayName: string
  passwordHash: string
  roles: Role[]
  staffId: string | null
  disabled: boolean
}

interface UserRow {
  id: string
  school_id: string
  email: string
  display_name: string
  password_hash: string
  roles: Role[]
  staff_id: string | null
  disabled: boolean
}

const USER_COLUMNS = ['id', 'school_id', 'email', 'display_name', 'password_hash', 'roles', 'staff_id', 'disabled']

function toAccount(row: UserRow): UserAccount {
  return {
    id: row.id,
    schoolId: row.school_id,
    email: row.email,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    roles: row.roles,
    staffId: row.staff_id,
    disabled: row.disabled,
  }
}

export async function countUsers(sql: Queryable): Promise<number> {
  const [row] = await sql<{ count: string }[]>`SELECT count(*) AS count FROM app_user`
  return Number(row?.count ?? 0)
}

export async function findUserByEmail(sql: Queryable, email: string): Promise<UserAccount | null> {
  const [row] = await sql<UserRow[]>`SELECT ${sql(USER_COLUMNS)} FROM app_user WHERE lower(email) = lower(${email})`
  return row ? toAccount(row) : null
}

export async function insertUser(
  sql: Queryable,
  user: { schoolId: string; email: string; displayName: string; passwordHash: string; roles: Role[]; staffId: string | null },
): Promise<UserAccount> {
  const [row] = await sql<UserRow[]>`
    INSERT INTO app_user (school_id, email, display_name, password_hash, roles, staff_id)
    VALUES (${user.schoolId}, ${user.email}, ${user.displayName}, ${user.passwordHash}, ${user.roles}, ${user.staffId})
    RETURNING ${sql(USER_COLUMNS)}`
  if (!row) throw new Error('INSERT INTO app_user returned no row')
  return toAccount(row)
}

export async function insertSession(sql: Queryable, session: { tokenHash: string; userId: string; expiresAt: Date }): Promise<void> {
  await sql`
    INSERT INTO user_session (token_hash, user_id, expires_at)
    VALUES (${session.tokenHash}, ${session.userId}, ${session.expiresAt})`
}

/** Returns the user of an unexpired session with the session's end, or null. */
export async function findSessionUser(sql: Queryable, tokenHash: string): Promise<(UserAccount & { sessionExpiresAt: Date }) | null> {
  const [row] = await sql<(UserRow & { expires_at: Date })[]>`
    SELECT ${sql(USER_COLUMNS.map((column) => `u.${column}`))}, s.expires_at
      FROM user_session s JOIN app_user u ON u.id = s.user_id
     WHERE s.token_hash = ${tokenHash} AND s.expires_at > now() AND NOT u.disabled`
  return row ? { ...toAccount(row), sessionExpiresAt: row.expires_at } : null
}

export async function deleteSession(sql: Queryable, tokenHash: string): Promise<void> {
  await sql`DELETE FROM user_session WHERE token_hash = ${tokenHash}`
}

export async function deleteUserSessions(sql: Queryable, userId: string): Promise<void> {
  await sql`DELETE FROM user_session WHERE user_id = ${userId}`
}

export async function insertApiToken(
  sql: Queryable,
  token: { userId: string; name: string; tokenHash: string },
): Promise<{ id: string; createdAt: Date }> {
  const [row] = await sql<{ id: string; created_at: Date }[]>`
    INSERT INTO api_token (user_id, name, token_hash) VALUES (${token.userId}, ${token.name}, ${token.tokenHash})
    RETURNING id, created_at`
  if (!row) throw new Error('INSERT INTO api_token returned no row')
  return { id: row.id, createdAt: row.created_at }
}

/**
 * Returns the user of an unrevoked token and records its use, or null. The use is written at
 * most once a minute per token, so a script's burst of requests does not queue on one row.
 */
export async function useApiToken(sql: Queryable, tokenHash: string): Promise<(UserAccount & { tokenId: string }) | null> {
  const [row] = await sql<(UserRow & { token_id: string; stale: boolean })[]>`
    SELECT t.id AS token_id, ${sql(USER_COLUMNS.map((column) => `u.${column}`))},
           t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS stale
      FROM api_token t JOIN app_user u ON u.id = t.user_id
     WHERE t.token_hash = ${tokenHash} AND t.revoked_at IS NULL AND NOT u.disabled`
  if (!row) return null
  if (row.stale) await sql`UPDATE api_token SET last_used_at = now() WHERE id = ${row.token_id}`
  return { ...toAccount(row), tokenId: row.token_id }
}

/** Revokes a token of a user of the school; returns false when there is no such token. */
export async function revokeApiToken(sql: Queryable, tokenId: string, schoolId: string): Promise<boolean> {
  const rows = await sql`
    UPDATE api_token t SET revoked_at = now()
      FROM app_user u
     WHERE t.id = ${tokenId} AND u.id = t.user_id AND u.school_id = ${schoolId} AND t.revoked_at IS NULL
    RETURNING t.id`
  return rows.length > 0
}

export async function recordLoginAttempt(sql: Sql, attempt: { email: string; address: string; succeeded: boolean }): Promise<void> {
  await sql`
    INSERT INTO login_attempt (email, address, succeeded)
    VALUES (${attempt.email.toLowerCase()}, ${attempt.address}, ${attempt.succeeded})`
}

/** Counts failed logins since a moment, for the account and for the client address. */
export async function countFailedLogins(
  sql: Sql,
  filter: { email: string; address: string; since: Date },
): Promise<{ byEmail: number; byAddress: number }> {
  const [row] = await sql<{ by_email: string; by_address: string }[]>`
    SELECT count(*) FILTER (WHERE email = ${filter.email.toLowerCase()}) AS by_email,
           count(*) FILTER (WHERE address = ${filter.address}) AS by_address
      FROM login_attempt
     WHERE NOT succeeded AND attempted_at > ${filter.since}`
  return { byEmail: Number(row?.by_email ?? 0), byAddress: Number(row?.by_address ?? 0) }
}

/**
 * Replaces a user's password hash and deletes every session of the user, so each browser
 * signed in with the old password must sign in again.
 */
export async function replacePassword(sql: Queryable, userId: string, passwordHash: string): Promise<void> {
  await sql`UPDATE app_user SET password_hash = ${passwordHash}, version = version + 1, updated_at = now() WHERE id = ${userId}`
  await deleteUserSessions(sql, userId)
}

/** Returns a user's email and stored password hash, or null for an unknown id. */
export async function findPasswordHash(sql: Queryable, userId: string): Promise<{ email: string; passwordHash: string } | null> {
  const [row] = await sql<{ email: string; password_hash: string }[]>`SELECT email, password_hash FROM app_user WHERE id = ${userId}`
  return row ? { email: row.email, passwordHash: row.password_hash } : null
}
