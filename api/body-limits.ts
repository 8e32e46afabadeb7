import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from './app'
import { ValidationError } from './errors'

/** Maximum size of a JSON request body, far above any record the API accepts. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024

// Uploads and the CSV import stream their bodies and enforce limits of their own.
const STREAMING_ROUTES = new Set(['POST /api/documents/upload', 'PUT /api/settings/logo', 'POST /api/students/import'])

/**
 * Rejects compressed request bodies (415) and, on every route but the streaming ones, bodies
 * over MAX_JSON_BODY_BYTES (413). The size is counted as the body arrives, so a body without
 * Content-Length is stopped at the limit too. The API never inflates a body, so a
 * decompression bomb has nothing to expand.
 */
export function limitRequestBodies() {
  const limit = bodyLimit({
    maxSize: MAX_JSON_BODY_BYTES,
    onError: () => {
      throw new HTTPException(413, { message: `the request body is larger than the limit of ${MAX_JSON_BODY_BYTES} bytes` })
    },
  })

  return createMiddleware<AppEnv>(async (c, next) => {
    const encoding = c.req.header('content-encoding')?.trim().toLowerCase()
    if (encoding && encoding !== 'identity') {
      throw new HTTPException(415, { message: `request bodies with Content-Encoding ${encoding} are not accepted; send the body uncompressed` })
    }
    if (STREAMING_ROUTES.has(`${c.req.method} ${c.req.path}`)) return next()
    return limit(c, next)
  })
}

/** Returns the dotted path of the first string in a JSON value that contains a NUL character. */
function pathOfNul(value: unknown, path: string[] = []): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') || 'body' : null
  if (value === null || typeof value !== 'object') return null
  for (const [key, item] of Object.entries(value)) {
    const found = pathOfNul(item, [...path, key])
    if (found !== null) return found
  }
  return null
}

/**
 * Rejects a JSON body with a NUL character in a string (400 naming the field), because
 * PostgreSQL text cannot store one and the insert would otherwise fail as a server error.
 */
export function rejectNulInJson() {
  return createMiddleware<AppEnv>(async (c, next) => {
    // Streaming routes are left alone, because reading their bodies here would buffer them whole.
    if (STREAMING_ROUTES.has(`${c.req.method} ${c.req.path}`)) return next()
    if (!c.req.header('content-type')?.toLowerCase().includes('json')) return next()
    const raw = await c.req.text()
    if (!raw.includes('\\u0000')) return next()
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      return next()
    }
    const field = pathOfNul(parsed)
    if (field !== null) throw new ValidationError({ [field]: 'contains a NUL character, which text cannot store' })
    return next()
  })
}
