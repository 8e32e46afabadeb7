import { randomBytes } from 'node:crypto'
import { hashPassword } from '../auth/passwords'
import { hashSecret, newSecret } from '../auth/tokens'
import { insertApiToken, insertUser } from '../data/accounts'
import { slugify } from '../data/bootstrap'
import type { Sql } from '../data/db'
import type { Role } from '../domain/permissions'

export interface SeededUser {
  id: string
  email: string
  password: string
  /** An API token of the user, for `Authorization: Bearer`. */
  token: string
  headers: { authorization: string }
}

// Hashing is deliberately slow, so every seeded user shares one password hash.
const PASSWORD = 'correct horse battery staple'
const passwordHash = hashPassword(PASSWORD)

export async function seedSchool(sql: Sql, name = `School ${randomBytes(3).toString('hex')}`): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO school (slug, name) VALUES (${slugify(name)}, ${name}) RETURNING id`
  return row!.id
}

export async function seedUser(sql: Sql, schoolId: string, roles: Role[], staffId: string | null = null): Promise<SeededUser> {
  const email = `${roles.join('-')}-${randomBytes(4).toString('hex')}@school.test`
  const user = await insertUser(sql, { schoolId, email, displayName: roles.join(' '), passwordHash: await passwordHash, roles, staffId })
  const token = newSecret('sot')
  await insertApiToken(sql, { userId: user.id, name: 'test', tokenHash: hashSecret(token) })
  return { id: user.id, email, password: PASSWORD, token, headers: { authorization: `Bearer ${token}` } }
}

export async function seedStaff(sql: Sql, schoolId: string, employeeNumber: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO staff (school_id, employee_number, first_name, last_name, position)
    VALUES (${schoolId}, ${employeeNumber}, 'Test', ${`Teacher ${employeeNumber}`}, 'teacher') RETURNING id`
  return row!.id
}
