import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { z } from 'zod'
import type { Logger } from '../observability/logger'

/** A request the API rejects with 400; `fields` maps each invalid field to what is wrong. */
export class ValidationError extends Error {
  constructor(readonly fields: Record<string, string>) {
    super(`invalid request: ${Object.entries(fields).map(([field, problem]) => `${field} ${problem}`).join('; ')}`)
    this.name = 'ValidationError'
  }
}

/** Parses a value with a schema or throws ValidationError naming each bad field. */
export function parseOrReject<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value)
  if (result.success) return result.data

  const fields: Record<string, string> = {}
  for (const issue of result.error.issues) {
    const field = issue.path.length > 0 ? issue.path.join('.') : 'body'
    fields[field] ??= issue.message
  }
  throw new ValidationError(fields)
}

/** Reads a JSON body; an empty body counts as `{}`, a malformed one is a 400. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const raw = await c.req.text()
  if (raw.trim() === '') return {}
  try {
    return JSON.parse(raw)
  } catch {
    throw new ValidationError({ body: 'is not valid JSON' })
  }
}

/** The one error handler: known errors become their status, everything else a logged 500. */
export function createErrorHandler(logger: Logger) {
  return (error: Error, c: Context) => {
    const requestId = c.get('requestId')

    if (error instanceof ValidationError) {
      return c.json({ error: 'invalid request', fields: error.fields, requestId }, 400)
    }
    if (error instanceof HTTPException) {
      const headers: Record<string, string> = error.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}
      return c.json({ error: error.message || 'request failed', requestId }, error.status, headers)
    }

    logger.error({ err: error, requestId, method: c.req.method, path: c.req.path }, 'request failed')
    return c.json({ error: 'internal error', requestId }, 500)
  }
}
