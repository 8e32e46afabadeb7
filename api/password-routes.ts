import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { setCookie } from 'hono/cookie'
import { HTTPException } from 'hono/http-exception'
import { hashPassword, verifyPassword } from '../auth/passwords'
import { hashSecret, newSecret } from '../auth/tokens'
import { countFailedLogins, findPasswordHash, insertSession, recordLoginAttempt, replacePassword } from '../data/accounts'
import { insertAuditEvent } from '../data/audit'
import type { Sql } from '../data/db'
import type { AppEnv } from './app'
import { clientAddress, type LoginPolicy } from './auth-routes'
import { principal, requireSignedIn, SESSION_COOKIE } from './authentication'
import { ValidationError } from './errors'
import type { RouteCatalog } from './route-catalog'

const passwordChange = z
  .strictObject({
    currentPassword: z.string().min(1).max(1024),
    newPassword: z.string().min(12, 'must be at least 12 characters').max(1024),
  })
  .openapi('PasswordChange')

/**
 * Registers `POST /api/auth/password`. A changed password ends every session of the user. A
 * caller signed in by cookie gets a new session in the same response. API tokens stay valid,
 * because an admin revokes those separately.
 */
export function registerPasswordRoute(app: OpenAPIHono<AppEnv>, catalog: RouteCatalog, sql: Sql, policy: LoginPolicy): void {
  catalog.add({ method: 'POST', path: '/api/auth/password', permission: 'signed-in' })

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/auth/password',
      tags: ['Accounts'],
      middleware: [requireSignedIn()],
      summary: 'Change the own password; ends every session of the user and issues the caller a new one',
      request: { body: { content: { 'application/json': { schema: passwordChange } }, required: true } },
      responses: { 204: { description: 'changed' }, 400: { description: 'invalid input or wrong current password' }, 429: { description: 'too many failed logins' } },
    }),
    async (c) => {
      const caller = principal(c)
      const { currentPassword, newPassword } = c.req.valid('json')
      const stored = await findPasswordHash(sql, caller.userId)
      if (!stored) throw new HTTPException(401, { message: 'sign in or send an API token' })

      // A stolen session must not be a way around the sign-in limit, so wrong current
      // passwords count as failed logins of the account.
      const address = clientAddress(c)
      const failures = await countFailedLogins(sql, { email: stored.email, address, since: new Date(Date.now() - policy.windowMinutes * 60_000) })
      if (failures.byEmail >= policy.maxFailuresPerAccount || failures.byAddress >= policy.maxFailuresPerAddress) {
        c.header('Retry-After', String(policy.windowMinutes * 60))
        throw new HTTPException(429, { message: `too many failed logins; try again in ${policy.windowMinutes} minutes` })
      }
      if (!(await verifyPassword(currentPassword, stored.passwordHash))) {
        await recordLoginAttempt(sql, { email: stored.email, address, succeeded: false })
        throw new ValidationError({ currentPassword: 'does not match the current password' })
      }
      if (currentPassword === newPassword) throw new ValidationError({ newPassword: 'must differ from the current password' })

      const passwordHash = await hashPassword(newPassword)
      const session = caller.via === 'session' ? newSecret('sess') : null
      const expiresAt = new Date(Date.now() + policy.sessionHours * 3_600_000)
      await sql.begin(async (tx) => {
        await replacePassword(tx, caller.userId, passwordHash)
        if (session) await insertSession(tx, { tokenHash: hashSecret(session), userId: caller.userId, expiresAt })
        const entry = { schoolId: caller.schoolId, actorId: caller.userId, entity: 'user', entityId: caller.userId }
        await insertAuditEvent(tx, { ...entry, action: 'password-change', before: null, after: null, requestId: c.get('requestId') })
      })

      if (session) setCookie(c, SESSION_COOKIE, session, { httpOnly: true, sameSite: 'Lax', secure: policy.secureCookie, path: '/', expires: expiresAt })
      return c.body(null, 204)
    },
  )
}
