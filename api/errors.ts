import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { z } from 'zod'
import type { Logger } from '../observability/logger'
import { RetentionRefusedError } from './document-retention'

/** A request the API rejects with 400; `fields` maps each invalid field to what is wrong. */
export class ValidationError extends Error {
  constructor(readonly fields: Record<string, string>) {
    super(`invalid request: ${Object.entries(fields).map(([field, problem]) => `${field} ${problem}`).join('; ')}`)
    this.name = 'ValidationError'
  }
}

/** Maps zod issues to fields; an unknown key is reported under its own name. */
export function fieldsOf(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[[...issue.path, key].join('.')] ??= 'is not a known field'
      continue
    }
    const field = issue.path.length > 0 ? issue.path.join('.') : 'body'
    fields[field] ??= issue.message
  }
  return fields
}

/** Parses a value with a schema or throws ValidationError naming each bad field. */
export function parseOrReject<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  throw new ValidationError(fieldsOf(result.error))
}

/** Hook for the OpenAPI routes' validators: a failed check becomes our 400 naming the fields. */
export function validationHook(result: { success: boolean; error?: z.ZodError }): void {
  if (!result.success && result.error) throw new ValidationError(fieldsOf(result.error))
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
    if (error instanceof RetentionRefusedError) return c.json({ ...error.body, requestId }, 409)
    const databaseError = fromDatabaseError(error)
    if (databaseError) return c.json({ ...databaseError.body, requestId }, databaseError.status)
    if (error instanceof HTTPException) {
      const headers: Record<string, string> = error.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}
      return c.json({ error: error.message || 'request failed', requestId }, error.status, headers)
    }

    logger.error({ err: error, requestId, method: c.req.method, path: c.req.path }, 'request failed')
    return c.json({ error: 'internal error', requestId }, 500)
  }
}

/**
 * Maps constraint violations to client errors: a duplicate is a 409 naming its fields, a
 * row still referenced elsewhere a 409, and a failed check or malformed value a 400.
 */
function fromDatabaseError(error: Error): { status: 400 | 409; body: { error: string; fields?: Record<string, string> } } | null {
  const { code, detail, constraint_name: constraint } = error as Error & { code?: string; detail?: string; constraint_name?: string }
  if (code === '23505') {
    const columns = /^Key \(([^)]+)\)/.exec(detail ?? '')?.[1]?.split(', ').filter((column) => column !== 'school_id') ?? []
    const fields = Object.fromEntries(columns.map((column) => [column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()), 'is already used by another record']))
    return { status: 409, body: { error: 'a record with these values already exists', fields } }
  }
  if (code === '23503') return { status: 409, body: { error: `the record is still referenced by other records (${constraint ?? 'foreign key'}); remove those first` } }
  // 22021 and 22P05: a NUL or another character that text cannot store, for example in a query.
  if (code === '23514' || code === '22P02' || code === '22007' || code === '22008' || code === '22021' || code === '22P05') {
    return { status: 400, body: { error: `invalid value: ${error.message}` } }
  }
  return null
}
