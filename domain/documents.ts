import type { Resource } from './permissions'

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
