import { HTTPException } from 'hono/http-exception'
import { ValidationError } from './errors'

/** Formats a record version as a strong ETag. */
export function etagOf(version: number): string {
  return `"${version}"`
}

/**
 * Reads the version a client last saw from `If-Match`. Updates without it are rejected with
 * 428, so no client overwrites a record it never read.
 */
export function expectedVersion(header: string | undefined): number {
  if (header === undefined) {
    throw new HTTPException(428, { message: 'send If-Match with the ETag from your last read of this record' })
  }
  const match = /^(?:W\/)?"(\d{1,9})"$/.exec(header.trim())
  if (!match?.[1]) throw new ValidationError({ 'if-match': 'must be an ETag such as "3"' })
  return Number(match[1])
}

/** Encodes the position after a row, for keyset pagination. */
export function encodeCursor(sortValue: unknown, id: string): string {
  const value = sortValue instanceof Date ? sortValue.toISOString() : sortValue
  return Buffer.from(JSON.stringify([value, id])).toString('base64url')
}

export function decodeCursor(cursor: string): { value: unknown; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string') {
      return { value: parsed[0], id: parsed[1] }
    }
  } catch {
    // Fall through to the validation error below.
  }
  throw new ValidationError({ cursor: 'is not a cursor this API returned' })
}
