import { z } from '@hono/zod-openapi'
import { DOCUMENT_CATEGORIES, STORAGE_PROVIDERS } from './documents'

// Schemas of the school records, shared by validation, the OpenAPI document and tests.
// Inputs are strict: an unknown field is a 400 naming it, never silently dropped.

const name = z.string().trim().min(1).max(200)
const optionalText = (max: number) => z.string().trim().max(max).nullable().optional()
const date = z.iso.date()
const id = z.uuid()
const email = z.email().max(320)
const phone = z.string().trim().regex(/^[+0-9 ()-]{4,32}$/, 'must be a phone number of digits, spaces, +, ( ) or -')

const recordBase = {
  id: id,
  version: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
}

function recordSchema<T extends z.ZodRawShape>(refName: string, shape: T) {
  return z.object({ ...recordBase, ...shape }).openapi(refName)
}

export const academicYearInput = z.strictObject({ name, startsOn: date, endsOn: date })
export const termInput = z.strictObject({ academicYearId: id, name, startsOn: date, endsOn: date })
export const sectionInput = z.strictObject({
  academicYearId: id,
  grade: z.string().trim().min(1).max(40),
  name,
  homeroomStaffId: id.nullable().optional(),
  room: optionalText(40),
})
export const subjectInput = z.strictObject({ code: z.string().trim().min(1).max(20), name })
export const staffInput = z.strictObject({
  employeeNumber: z.string().trim().min(1).max(40),
  firstName: name,
  lastName: name,
  email: email.nullable().optional(),
  phone: phone.nullable().optional(),
  position: name,
  department: optionalText(200),
  photoRef: optionalText(500),
  hiredOn: date.nullable().optional(),
  leftOn: date.nullable().optional(),
  status: z.enum(['active', 'on_leave', 'left']).optional(),
})
export const studentInput = z.strictObject({
  admissionNumber: z.string().trim().min(1).max(40),
  firstName: name,
  lastName: name,
  birthDate: date,
  gender: z.enum(['female', 'male', 'other']).nullable().optional(),
  email: email.nullable().optional(),
  phone: phone.nullable().optional(),
  address: optionalText(500),
  admittedOn: date,
  leftOn: date.nullable().optional(),
  status: z.enum(['active', 'withdrawn', 'graduated']).optional(),
  photoRef: optionalText(500),
})
export const guardianInput = z.strictObject({
  firstName: name,
  lastName: name,
  email: email.nullable().optional(),
  phone: phone.nullable().optional(),
  address: optionalText(500),
})
export const studentGuardianInput = z.strictObject({
  studentId: id,
  guardianId: id,
  relation: z.string().trim().min(1).max(40),
  isPrimary: z.boolean().optional(),
  mayPickUp: z.boolean().optional(),
})
export const enrolmentInput = z.strictObject({
  studentId: id,
  academicYearId: id,
  sectionId: id,
  status: z.enum(['active', 'promoted', 'withdrawn', 'graduated']).optional(),
  enrolledOn: date,
  exitOn: date.nullable().optional(),
})
export const documentInput = z.strictObject({
  category: z.enum(DOCUMENT_CATEGORIES),
  ownerType: z.enum(['school', 'student', 'staff']),
  ownerId: id.nullable().optional(),
  title: name,
  documentDate: date,
})
export const schoolSettingsInput = z.strictObject({
  name: name.optional(),
  address: optionalText(500),
  timeZone: z.string().min(1).max(64).optional(),
  fiscalYearStartMonth: z.number().int().min(1).max(12).optional(),
  currentAcademicYearId: id.nullable().optional(),
  logoRef: optionalText(500),
  primaryColor: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1a2b3c').nullable().optional(),
  // Null follows STORAGE_PROVIDER from the environment.
  storageProvider: z.enum(STORAGE_PROVIDERS).nullable().optional(),
})

/** Output schemas: what reads return, with id, version and timestamps. */
export const academicYearRecord = recordSchema('AcademicYear', academicYearInput.shape)
export const termRecord = recordSchema('Term', termInput.shape)
export const sectionRecord = recordSchema('Section', sectionInput.shape)
export const subjectRecord = recordSchema('Subject', subjectInput.shape)
export const staffRecord = recordSchema('Staff', staffInput.shape)
export const studentRecord = recordSchema('Student', studentInput.shape)
export const guardianRecord = recordSchema('Guardian', guardianInput.shape)
export const studentGuardianRecord = recordSchema('StudentGuardian', studentGuardianInput.shape)
export const enrolmentRecord = recordSchema('Enrolment', enrolmentInput.shape)
export const documentRecord = recordSchema('Document', {
  ...documentInput.shape,
  storageProvider: z.string().nullable(),
  fileName: z.string().nullable(),
  contentType: z.string().nullable(),
  sizeBytes: z.number().nullable(),
  sha256: z.string().nullable(),
  legalHold: z.boolean(),
})
export const schoolSettingsRecord = z
  .object({ id, slug: z.string(), version: z.number().int(), ...schoolSettingsInput.shape })
  .openapi('SchoolSettings')

/** Checks that a date range ends after it starts; used by inputs with both ends. */
export function endsAfterStart(start: string | null | undefined, end: string | null | undefined): boolean {
  return start == null || end == null || end > start
}
