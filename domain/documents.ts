import type { Action, Permission, Resource } from './permissions'

/** Document categories, named after the customer's classification table. */
export const DOCUMENT_CATEGORIES = [
  'branding',
  'student-photo',
  'staff-photo',
  'certificate',
  'notice',
  'report-card',
  'payroll',
  'financial',
  'sensitive',
] as const
export type DocumentCategory = (typeof DOCUMENT_CATEGORIES)[number]

/**
 * The permission resource that guards each category: payroll and financial papers are for
 * admin and accountant only, sensitive documents for admin only, the rest for school staff.
 */
export const DOCUMENT_RESOURCE: Record<DocumentCategory, Resource> = {
  branding: 'documents',
  'student-photo': 'documents',
  'staff-photo': 'documents',
  certificate: 'documents',
  notice: 'documents',
  'report-card': 'documents',
  payroll: 'financial-documents',
  financial: 'financial-documents',
  sensitive: 'sensitive-documents',
}

/**
 * Returns the permission that guards an action on a category. Reading branding (the logo)
 * needs only `settings:read`, because every role that reads the settings shows the logo.
 */
export function documentPermission(category: DocumentCategory, action: Action): Permission {
  if (category === 'branding' && action === 'read') return 'settings:read'
  return `${DOCUMENT_RESOURCE[category]}:${action}`
}

/** Providers that new document files can go to: Cloudinary, or the local or S3 fallback. */
export const STORAGE_PROVIDERS = ['cloudinary', 's3', 'local'] as const
export type StorageProvider = (typeof STORAGE_PROVIDERS)[number]

/** Providers that keep files private: backups and the private categories live there. */
export const PRIVATE_PROVIDERS = ['local', 's3'] as const
export type PrivateProvider = (typeof PRIVATE_PROVIDERS)[number]

/**
 * Access type of a category: `public` files open by a URL anyone may use, `restricted` files
 * only through the API after the caller's permission check, and `signed-url` files through a
 * short-lived signed link issued after that check.
 */
export type Access = 'public' | 'restricted' | 'signed-url'

/** `media` files belong on Cloudinary; `private` files never leave private storage. */
export type Tier = 'media' | 'private'

/**
 * The customer's classification table. Report cards are not in it; they carry a minor's
 * marks, so they are classed with the private, signed-URL documents.
 */
export const CLASSIFICATION = {
  branding: { tier: 'media', access: 'public' },
  'student-photo': { tier: 'media', access: 'restricted' },
  'staff-photo': { tier: 'media', access: 'restricted' },
  certificate: { tier: 'media', access: 'public' },
  notice: { tier: 'media', access: 'public' },
  'report-card': { tier: 'private', access: 'signed-url' },
  payroll: { tier: 'private', access: 'signed-url' },
  financial: { tier: 'private', access: 'signed-url' },
  sensitive: { tier: 'private', access: 'signed-url' },
} as const satisfies Record<DocumentCategory, { tier: Tier; access: Access }>

/** Categories that may be written to Cloudinary. */
export type MediaCategory = {
  [C in DocumentCategory]: (typeof CLASSIFICATION)[C]['tier'] extends 'media' ? C : never
}[DocumentCategory]

export const MEDIA_CATEGORIES = DOCUMENT_CATEGORIES.filter(
  (category): category is MediaCategory => CLASSIFICATION[category].tier === 'media',
)

/** Content types an upload of each category may have, as sniffed from its bytes. */
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif']
const PAPER_TYPES = ['application/pdf', ...IMAGE_TYPES]
export const ALLOWED_CONTENT_TYPES: Record<DocumentCategory, readonly string[]> = {
  // SVG is left out everywhere because it can carry scripts.
  branding: IMAGE_TYPES,
  'student-photo': IMAGE_TYPES,
  'staff-photo': IMAGE_TYPES,
  certificate: PAPER_TYPES,
  notice: PAPER_TYPES,
  'report-card': PAPER_TYPES,
  payroll: PAPER_TYPES,
  financial: PAPER_TYPES,
  sensitive: PAPER_TYPES,
}

/** Target of one file write: a Cloudinary asset, or an object in a private store. */
export type Destination =
  | { provider: 'cloudinary'; category: MediaCategory; access: 'public' | 'restricted' }
  | { provider: PrivateProvider; category: DocumentCategory; access: Access }

/**
 * Chooses where a new file of the category goes. With `cloudinary` selected, media follows the
 * classification table and private categories go to the private store. With `local` or `s3`
 * selected, the fallback when Cloudinary fails, every new file goes there. A private category
 * is never given Cloudinary as its provider.
 */
export function destinationOf(
  category: DocumentCategory,
  selected: StorageProvider,
  privateProvider: PrivateProvider,
): Destination {
  const { access } = CLASSIFICATION[category]
  if (selected !== 'cloudinary') return { provider: selected, category, access }
  if (isMediaCategory(category) && access !== 'signed-url') return { provider: 'cloudinary', category, access }
  return { provider: privateProvider, category, access }
}

export function isMediaCategory(category: DocumentCategory): category is MediaCategory {
  return CLASSIFICATION[category].tier === 'media'
}
