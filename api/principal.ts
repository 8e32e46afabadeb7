import type { Role } from '../domain/permissions'

/** Who is making a request: a signed-in user (session cookie) or an API token's user. */
export interface Principal {
  userId: string
  schoolId: string
  roles: Role[]
  /** The staff record of a teacher, which decides their sections. */
  staffId: string | null
  via: 'session' | 'token'
  /** Hash of the session token, so logout can end exactly this session. */
  sessionHash?: string
}
