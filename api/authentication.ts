import { getCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import { HTTPException } from 'hono/http-exception'
import { hashSecret } from '../auth/tokens'
import { findSessionUser, useApiToken, type UserAccount } from '../data/accounts'
import type { Sql } from '../data/db'
import { reachOf, type Permission } from '../domain/permissions'
import type { AppEnv } from './app'
import type { PrincipalCache } from './principal-cache'
import type { Principal } from './principal'

export const SESSION_COOKIE = 'school_ops_session'

function principalOf(user: UserAccount, via: Principal['via'], sessionHash?: string): Principal {
  return { userId: user.id, schoolId: user.schoolId, roles: user.roles, staffId: user.staffId, via, sessionHash }
}

/**
 * Identifies the caller from a bearer API token or the session cookie and stores it as
 * `principal`. A request with neither continues unauthenticated; routes decide what that means.
 * With a cache, a token or session seen recently needs no query; see PrincipalCache for how
 * changes reach it.
 */
export function authenticate(sql: Sql, cache?: PrincipalCache) {
  async function lookUp<T extends UserAccount>(key: string, query: () => Promise<T | null>, endsAt: (user: T) => number): Promise<UserAccount | null> {
    const cached = cache?.get(key)
    if (cached) return cached
    const generation = cache?.generation ?? 0
    const user = await query()
    if (user && cache) cache.set(key, user, generation, endsAt(user))
    return user
  }

  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization')

    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header)
      const tokenHash = match?.[1] ? hashSecret(match[1]) : undefined
      const user = tokenHash ? await lookUp(`token:${tokenHash}`, () => useApiToken(sql, tokenHash), () => Infinity) : null
      if (!user) throw new HTTPException(401, { message: 'invalid or revoked API token' })
      c.set('principal', principalOf(user, 'token'))
    } else {
      const session = getCookie(c, SESSION_COOKIE)
      const sessionHash = session ? hashSecret(session) : undefined
      const user = sessionHash
        ? await lookUp(`session:${sessionHash}`, () => findSessionUser(sql, sessionHash), (found) => found.sessionExpiresAt.getTime())
        : null
      if (user) c.set('principal', principalOf(user, 'session', sessionHash))
    }
    await next()
  })
}

/**
 * Rejects a request without a principal (401) or whose roles lack the permission (403), and
 * stores the reach of the grant as `reach` for the handler's scoping.
 */
export function requirePermission(permission: Permission) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal')
    if (!principal) throw new HTTPException(401, { message: 'sign in or send an API token' })

    const reach = reachOf(principal.roles, permission)
    if (reach === null) {
      throw new HTTPException(403, { message: `roles ${principal.roles.join(', ')} lack the permission ${permission}` })
    }
    c.set('reach', reach)
    await next()
  })
}

/** Rejects a request without a principal (401), before its input is validated. */
export function requireSignedIn() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!c.get('principal')) throw new HTTPException(401, { message: 'sign in or send an API token' })
    await next()
  })
}

/** Returns the request's principal; only for routes behind requirePermission. */
export function principal(c: { get(key: 'principal'): Principal | undefined }): Principal {
  const found = c.get('principal')
  if (!found) throw new HTTPException(401, { message: 'sign in or send an API token' })
  return found
}
