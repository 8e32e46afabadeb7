/** Roles a user can hold. ops and oncall are operation roles held by ops staff and their tokens. */
export const ROLES = ['admin', 'office', 'teacher', 'accountant', 'ops', 'oncall'] as const
export type Role = (typeof ROLES)[number]

export const RESOURCES = [
  'settings',
  'academic',
  'staff',
  'students',
  'guardians',
  'enrolments',
  'documents',
  'financial-documents',
  'sensitive-documents',
  // Legal holds on documents, set and lifted with a reason.
  'legal-holds',
  // Retention reports (read), and purge runs and their first approval (write).
  'retention',
  'users',
  'audit',
  'operations',
  // The health of every operation at a glance (GET /api/ops/status), without the catalogs.
  'ops-status',
  'dr',
] as const
export type Resource = (typeof RESOURCES)[number]

export type Action = 'read' | 'write'

/**
 * How far a grant reaches: `all` rows of the school, `own-sections` only rows tied to the
 * sections where the user is homeroom teacher, or `limited` fields (name and class).
 */
export type Reach = 'all' | 'own-sections' | 'limited'

export type Permission = `${Resource}:${Action}`

type Grants = Partial<Record<Permission, Reach>>

/**
 * The permission matrix: what each role may read or write. A permission a role lacks is
 * refused with 403. Every route declares one permission, and a test walks every route with
 * every role against this table.
 */
export const PERMISSIONS: Record<Role, Grants> = {
  admin: {
    'ops-status:read': 'all',
    'settings:read': 'all',
    'settings:write': 'all',
    'academic:read': 'all',
    'academic:write': 'all',
    'staff:read': 'all',
    'staff:write': 'all',
    'students:read': 'all',
    'students:write': 'all',
    'guardians:read': 'all',
    'guardians:write': 'all',
    'enrolments:read': 'all',
    'enrolments:write': 'all',
    'documents:read': 'all',
    'documents:write': 'all',
    'financial-documents:read': 'all',
    'financial-documents:write': 'all',
    'sensitive-documents:read': 'all',
    'sensitive-documents:write': 'all',
    'users:read': 'all',
    'users:write': 'all',
    'audit:read': 'all',
    'legal-holds:read': 'all',
    'legal-holds:write': 'all',
    'retention:read': 'all',
    'retention:write': 'all',
  },
  office: {
    'settings:read': 'all',
    'academic:read': 'all',
    'academic:write': 'all',
    'staff:read': 'all',
    'students:read': 'all',
    'students:write': 'all',
    'guardians:read': 'all',
    'guardians:write': 'all',
    'enrolments:read': 'all',
    'enrolments:write': 'all',
    'documents:read': 'all',
    'documents:write': 'all',
  },
  teacher: {
    'settings:read': 'all',
    'academic:read': 'all',
    'staff:read': 'all',
    'students:read': 'own-sections',
    'guardians:read': 'own-sections',
    'enrolments:read': 'all',
    'documents:read': 'own-sections',
  },
  accountant: {
    'settings:read': 'all',
    'academic:read': 'all',
    'staff:read': 'all',
    'students:read': 'limited',
    'enrolments:read': 'all',
    'financial-documents:read': 'all',
    'financial-documents:write': 'all',
  },
  ops: {
    'ops-status:read': 'all',
    'operations:read': 'all',
    'operations:write': 'all',
    'retention:read': 'all',
  },
  oncall: {
    'ops-status:read': 'all',
    'operations:read': 'all',
    'operations:write': 'all',
    'retention:read': 'all',
    'dr:read': 'all',
    'dr:write': 'all',
  },
}

/** Returns the widest reach any of the roles has for the permission, or null for none. */
export function reachOf(roles: readonly Role[], permission: Permission): Reach | null {
  const reaches = roles.map((role) => PERMISSIONS[role][permission]).filter((reach) => reach !== undefined)
  if (reaches.includes('all')) return 'all'
  if (reaches.includes('own-sections')) return 'own-sections'
  return reaches.includes('limited') ? 'limited' : null
}
