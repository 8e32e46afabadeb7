/**
 * Removes secrets from text and objects before they leave the process in an error report:
 * passwords in connection URLs, bearer and API tokens, and any field whose name marks it as
 * a password, token, secret, cookie, authorization header or DSN.
 */

const SECRET_FIELD = /pass(word)?|token|secret|authorization|cookie|dsn|api[-_]?key|credential/i
const REDACTED = '[redacted]'

/** Replaces the password of `scheme://user:password@host` URLs and bearer or API tokens. */
export function scrubText(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${REDACTED}@`)
    .replace(/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, `$1 ${REDACTED}`)
    .replace(/\bsot_[\w-]+/g, REDACTED)
}

/** Returns a copy with secret-named fields replaced and every string scrubbed, to any depth. */
export function scrubValue<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return scrubText(value) as T
  if (value === null || typeof value !== 'object' || depth > 12) return value
  if (Array.isArray(value)) return value.map((item: unknown) => scrubValue(item, depth + 1)) as T

  const copy: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SECRET_FIELD.test(key) ? REDACTED : scrubValue(item, depth + 1)
  }
  return copy as T
}
