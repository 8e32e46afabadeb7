import { createHash, randomBytes } from 'node:crypto'

/** Creates a random secret: 32 bytes in base64url, after a prefix that names its kind. */
export function newSecret(prefix: 'sess' | 'sot'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}

/** Hashes a session or API token for storage and lookup; tokens have enough entropy for SHA-256. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}
