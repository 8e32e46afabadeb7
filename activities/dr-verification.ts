import { randomBytes } from 'node:crypto'
import { GENERATED_PASSWORD_COST, hashPassword } from '../auth/passwords'
import type { Sql } from '../data/db'
import { reachOf, ROLES, type Permission, type Role } from '../domain/permissions'

/** One request the verification makes as every role, with the permission that decides it. */
const PROBES: { path: string; permission: Permission }[] = [
  { path: '/api/settings', permission: 'settings:read' },
  { path: '/api/students?limit=5', permission: 'students:read' },
  { path: '/api/staff?limit=5', permission: 'staff:read' },
  { path: '/api/users', permission: 'users:read' },
  { path: '/api/audit?limit=5', permission: 'audit:read' },
  { path: '/api/ops/backups?limit=5', permission: 'operations:read' },
]

export interface AccessCheck {
  role: Role
  path: string
  expected: 'allowed' | 'refused'
  status: number
}

const verificationEmail = (role: Role) => `dr-verify-${role}@verification.invalid`

/**
 * Creates or re-enables one verification account per role in the restored database, each
 * with a new random password that only this activity knows, and returns the passwords.
 */
export async function prepareVerificationAccounts(sql: Sql): Promise<Map<Role, string>> {
  const [school] = await sql<{ id: string }[]>`SELECT id FROM school ORDER BY created_at, id LIMIT 1`
  if (!school) throw new Error('the restored database has no school, so no account can sign in')
  // Hashing is the slow part (scrypt), so the accounts are prepared side by side.
  const prepared = await Promise.all(
    ROLES.map(async (role) => {
      const password = randomBytes(24).toString('base64url')
      const passwordHash = await hashPassword(password, GENERATED_PASSWORD_COST)
      await sql`
        INSERT INTO app_user (school_id, email, display_name, password_hash, roles)
        VALUES (${school.id}, ${verificationEmail(role)}, ${`DR verification (${role})`}, ${passwordHash}, ${[role]})
        ON CONFLICT ((lower(email))) DO UPDATE
          SET password_hash = EXCLUDED.password_hash, roles = EXCLUDED.roles, disabled = false, updated_at = now()`
      return [role, password] as const
    }),
  )
  return new Map(prepared)
}

/** Disables the verification accounts and ends their sessions once the checks are done. */
export async function disableVerificationAccounts(sql: Sql): Promise<void> {
  const emails = ROLES.map(verificationEmail)
  await sql`DELETE FROM user_session WHERE user_id IN (SELECT id FROM app_user WHERE email IN ${sql(emails)})`
  await sql`UPDATE app_user SET disabled = true, updated_at = now() WHERE email IN ${sql(emails)}`
}

/** Signs in as a role through the app's login route and returns the session cookie. */
async function signIn(appUrl: string, role: Role, password: string): Promise<string> {
  const response = await fetch(`${appUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: verificationEmail(role), password }),
    signal: AbortSignal.timeout(15_000),
  })
  if (response.status !== 200) throw new Error(`sign-in as the ${role} verification account failed with status ${response.status}`)
  const cookie = response.headers.get('set-cookie')?.split(';')[0]
  if (!cookie) throw new Error(`sign-in as ${role} returned no session cookie`)
  return cookie
}

/**
 * Signs in as every role and makes each probe request, comparing the status with the
 * permission matrix: an allowed request must succeed (200) and a forbidden one must be
 * refused (403). Returns every check; the caller decides what a mismatch means.
 */
export async function checkRoleAccess(appUrl: string, passwords: Map<Role, string>): Promise<AccessCheck[]> {
  // Roles are checked side by side because each sign-in verifies a scrypt hash on the app.
  const perRole = await Promise.all(
    [...passwords].map(async ([role, password]) => {
      const cookie = await signIn(appUrl, role, password)
      return Promise.all(
        PROBES.map(async (probe): Promise<AccessCheck> => {
          const expected = reachOf([role], probe.permission) === null ? 'refused' : 'allowed'
          const response = await fetch(`${appUrl}${probe.path}`, { headers: { cookie }, signal: AbortSignal.timeout(15_000) })
          await response.body?.cancel()
          return { role, path: probe.path, expected, status: response.status }
        }),
      )
    }),
  )
  return perRole.flat()
}

/** Lists the checks whose status contradicts the matrix. */
export function accessMismatches(checks: AccessCheck[]): AccessCheck[] {
  return checks.filter((check) => (check.expected === 'allowed' ? check.status !== 200 : check.status !== 403))
}
