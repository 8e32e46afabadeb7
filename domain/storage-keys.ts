import type { DocumentCategory } from './documents'

/** Maximum length of the file-name segment of a key, in UTF-16 code units. */
const MAX_SEGMENT_LENGTH = 100

/**
 * Turns a file name into one key segment. Letters and digits of any script, spaces and
 * `-_.,+()` are kept after NFC normalisation. Every other character (slashes, `%`, `#`, `?`,
 * control characters) becomes `_`, and leading dots are dropped. So the result is never
 * empty, `.` or `..` and has no slash, and it cannot leave its folder. The document row keeps
 * the original name, which downloads send back.
 */
export function keySegmentOf(fileName: string): string {
  const kept = fileName
    .normalize('NFC')
    .replace(/[^\p{L}\p{M}\p{N} ._,+()-]/gu, '_')
    .replace(/^[.\s]+/, '')
    .replace(/\s+$/, '')
    .slice(0, MAX_SEGMENT_LENGTH)
  return kept === '' ? 'file' : kept
}

/**
 * Key of a document's file: `documents/<school id>/<category>/<document id>/<name>`. The
 * document id makes it unique, so two uploads of the same name never collide.
 */
export function documentKey(parts: {
  schoolId: string
  category: DocumentCategory
  documentId: string
  fileName: string
}): string {
  for (const [field, value] of [['schoolId', parts.schoolId], ['documentId', parts.documentId]] as const) {
    if (!/^[0-9a-f-]{36}$/.test(value)) throw new Error(`${field} must be a UUID, got "${value}"`)
  }
  return ['documents', parts.schoolId, parts.category, parts.documentId, keySegmentOf(parts.fileName)].join('/')
}

/** Returns true when the key lies inside the folder: under it, with no `.` or `..` segment. */
export function isInsideFolder(key: string, folder: string): boolean {
  const segments = key.split('/')
  const inside = key.startsWith(`${folder}/`) && segments.length > folder.split('/').length
  return inside && segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..')
}

/** Maximum lifetime S3 allows for a presigned URL (SigV4): seven days, in seconds. */
export const MAX_SIGNED_URL_SECONDS = 7 * 24 * 60 * 60

/**
 * Caps a signed URL's lifetime at the configured minutes, S3's seven-day maximum, and the
 * time left before the signing credentials expire (when they do). Returns whole seconds;
 * throws when the credentials have already expired.
 */
export function signedUrlSeconds(options: { minutes: number; credentialsExpireAt?: Date | null; now?: Date }): number {
  const now = options.now ?? new Date()
  let seconds = Math.min(Math.floor(options.minutes * 60), MAX_SIGNED_URL_SECONDS)
  if (options.credentialsExpireAt) {
    const left = Math.floor((options.credentialsExpireAt.getTime() - now.getTime()) / 1000)
    if (left <= 0) throw new Error(`the signing credentials expired at ${options.credentialsExpireAt.toISOString()}`)
    seconds = Math.min(seconds, left)
  }
  return Math.max(seconds, 1)
}
