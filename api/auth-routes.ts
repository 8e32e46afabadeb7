import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import { HTTPException } from 'hono/http-exception'
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../auth/passwords'
import { hashSecret, newSecret } from '../auth/tokens'
import { countFailedLogins, deleteSession, findUserByEmail, insertSession, recordLoginAttempt } from '../data/accounts'
import type { Sql } from '../data/db'
import { ROLES } from '../domain/permissions'
import type { AppEnv } from './app'
import { principal, requireSignedIn, SESSION_COOKIE } from './authentication'
import type { RouteCatalog } from './route-catalog'

export interface LoginPolicy {
  /** Failed logins per account within the window before further tries are rejected. */
  maxFailuresPerAccount: number
  /** Failed logins per client address within the window, across accounts. */
  maxFailuresPerAddress: number
  windowMinutes: number
  sessionHours: number
  /** Marks the cookie Secure; on everywhere except local development (NODE_ENV=development). */
  secureCookie: boolean
}

const loginBody = z.strictObject({ email: z.email().max(320), password: z.string().min(1).max(1024) }).openapi('Login')
const me = z.object({ userId: z.uuid(), schoolId: z.uuid(), roles: z.array(z.enum(ROLES)), via: z.enum(['session', 'token']) }).openapi('Me')

/** The client address for rate limiting: the socket's peer, since no proxy is trusted. */
export function clientAddress(c: Context<AppEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    // app.request() in tests has no socket.
    return 'unknown'
  }
}

/** Registers sign-in, sign-out and the current-user route. */
export function registerAuthRoutes(app: OpenAPIHono<AppEnv>, catalog: RouteCatalog, sql: Sql, policy: LoginPolicy): void {
  catalog.add({ method: 'POST', path: '/api/auth/login', permission: 'public' })
  catalog.add({ method: 'POST', path: '/api/auth/logout', permission: 'signed-in' })
  catalog.add({ method: 'GET', path: '/api/auth/me', permission: 'signed-in' })

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/auth/login',
      tags: ['Accounts'],
      summary: 'Sign in; sets the session cookie',
      request: { body: { content: { 'application/json': { schema: loginBody } }, required: true } },
      responses: { 200: { content: { 'application/json': { schema: me } }, description: 'signed in' }, 401: { description: 'wrong email or password' }, 429: { description: 'too many failed logins' } },
    }),
    async (c) => {
      const { email, password } = c.req.valid('json')
      const address = clientAddress(c)
      const since = new Date(Date.now() - policy.windowMinutes * 60_000)
      const failures = await countFailedLogins(sql, { email, address, since })
      if (failures.byEmail >= policy.maxFailuresPerAccount || failures.byAddress >= policy.maxFailuresPerAddress) {
        c.header('Retry-After', String(policy.windowMinutes * 60))
        throw new HTTPException(429, { message: `too many failed logins; try again in ${policy.windowMinutes} minutes` })
      }

      const user = await findUserByEmail(sql, email)
      const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH)
      await recordLoginAttempt(sql, { email, address, succeeded: Boolean(user && valid && !user.disabled) })
      if (!user || !valid || user.disabled) throw new HTTPException(401, { message: 'wrong email or password' })

      const token = newSecret('sess')
      const expiresAt = new Date(Date.now() + policy.sessionHours * 3_600_000)
      await insertSession(sql, { tokenHash: hashSecret(token), userId: user.id, expiresAt })
      setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Lax', secure: policy.secureCookie, path: '/', expires: expiresAt })
      return c.json({ userId: user.id, schoolId: user.schoolId, roles: user.roles, via: 'session' as const }, 200)
    },
  )

  app.openapi(
    createRoute({ method: 'post', path: '/api/auth/logout', tags: ['Accounts'], middleware: [requireSignedIn()], summary: 'Sign out; ends this session', responses: { 204: { description: 'signed out' } } }),
    async (c) => {
      const caller = principal(c)
      if (caller.sessionHash) await deleteSession(sql, caller.sessionHash)
      deleteCookie(c, SESSION_COOKIE, { path: '/' })
      return c.body(null, 204)
    },
  )

  app.openapi(
    createRoute({ method: 'get', path: '/api/auth/me', tags: ['Accounts'], middleware: [requireSignedIn()], summary: 'The signed-in user', responses: { 200: { content: { 'application/json': { schema: me } }, description: 'the caller' } } }),
    (c) => {
      const caller = principal(c)
      return c.json({ userId: caller.userId, schoolId: caller.schoolId, roles: caller.roles, via: caller.via }, 200)
    },
  )
}
