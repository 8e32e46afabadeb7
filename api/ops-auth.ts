import { createHash, timingSafeEqual } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import { HTTPException } from 'hono/http-exception'

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/**
 * Requires `Authorization: Bearer <token>` with the ops token. Both sides are hashed before
 * a constant-time comparison, so neither the token's content nor its length leaks in timing.
 */
export function requireOpsToken(token: string) {
  const expected = digest(token)

  return createMiddleware(async (c, next) => {
    const header = c.req.header('authorization')
    if (!header) {
      throw new HTTPException(401, { message: 'missing Authorization header; send "Bearer <ops token>"' })
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      throw new HTTPException(401, { message: 'invalid ops token' })
    }
    await next()
  })
}
