import { countUsers, insertUser } from './accounts'
import { insertAuditEvent } from './audit'
import type { Sql } from './db'

// Serialises bootstraps of API processes starting together; any constant works.
const BOOTSTRAP_LOCK_KEY = 1_618_033_988

/** Turns a school name into a URL-safe slug, for example "St. Mary's" into `st-mary-s`. */
export function slugify(name: string): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  return (slug.length >= 2 ? slug : `school-${slug}`).slice(0, 63)
}

/**
 * Creates the first school and its admin when the database has no user, and returns the new
 * admin's id; returns null when users already exist.
 */
export async function bootstrapAdmin(
  sql: Sql,
  admin: { email: string; passwordHash: string; schoolName: string },
): Promise<string | null> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY})`
    if ((await countUsers(tx)) > 0) return null

    const [school] = await tx<{ id: string }[]>`
      INSERT INTO school (slug, name) VALUES (${slugify(admin.schoolName)}, ${admin.schoolName})
      ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name
      RETURNING id`
    if (!school) throw new Error('INSERT INTO school returned no row')

    const user = await insertUser(tx, {
      schoolId: school.id,
      email: admin.email,
      displayName: 'Administrator',
      passwordHash: admin.passwordHash,
      roles: ['admin'],
      staffId: null,
    })
    await insertAuditEvent(tx, {
      schoolId: school.id,
      actorId: null,
      action: 'bootstrap',
      entity: 'user',
      entityId: user.id,
      before: null,
      after: { email: user.email, roles: user.roles },
      requestId: null,
    })
    return user.id
  })
}
