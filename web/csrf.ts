import { createHash, timingSafeEqual } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../api/app'

/** Name of the hidden form field, or query parameter for multipart forms, that carries the token. */
export const CSRF_FIELD = '_csrf'

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Derives the form token of a session from the hash of its cookie. The cookie is httpOnly, so
 * a page of another site can neither read it nor compute the token.
 */
export function csrfToken(sessionHash: string): string {
  return createHash('sha256').update(`csrf-form-token:${sessionHash}`).digest('base64url')
}

/** Returns the origins allowed to post: the request's own and the public app URL's. */
export function allowedOrigins(requestUrl: string, publicUrl: string): string[] {
  return [new URL(requestUrl).origin, new URL(publicUrl).origin]
}

/**
 * Rejects (403) a signed-in form post whose token is missing or wrong. Forms send the token as
 * a field; multipart forms, whose body is streamed on unread, send it in the query string.
 */
export function requireFormToken() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const caller = c.get('principal')
    // Signing in has no session yet; its post is covered by the Origin check alone.
    if (!UNSAFE_METHODS.has(c.req.method) || !caller?.sessionHash || c.req.path.endsWith('/login')) return next()

    const type = c.req.header('content-type') ?? ''
    let sent = c.req.query(CSRF_FIELD)
    if (sent === undefined && type.startsWith('application/x-www-form-urlencoded')) {
      const field = (await c.req.parseBody())[CSRF_FIELD]
      sent = typeof field === 'string' ? field : undefined
    }
    if (sent === undefined || !sameToken(sent, csrfToken(caller.sessionHash))) {
      throw new HTTPException(403, { message: 'the form is missing its security token or it has expired; reload the page and submit it again' })
    }
    await next()
  })
}

/**
 * Rejects (403) a cookie-authenticated write to the JSON API sent by a page of another site,
 * which browsers mark with the Origin and Sec-Fetch-Site headers. Requests without them, such
 * as scripts with API tokens, pass; the SameSite=Lax cookie already keeps most cross-site
 * posts unauthenticated.
 */
export function rejectCrossSiteApiWrites(publicUrl: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const usesCookie = c.req.header('authorization') === undefined && c.req.header('cookie') !== undefined
    if (!UNSAFE_METHODS.has(c.req.method) || !usesCookie) return next()

    const origin = c.req.header('origin')
    const crossOrigin = origin !== undefined && !allowedOrigins(c.req.url, publicUrl).includes(origin)
    if (crossOrigin || c.req.header('sec-fetch-site') === 'cross-site') {
      throw new HTTPException(403, { message: `cross-site request from ${origin ?? 'another site'} rejected; use the app's own pages or an API token` })
    }
    await next()
  })
}

function sameToken(sent: string, expected: string): boolean {
  const a = Buffer.from(sent)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
