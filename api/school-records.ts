import type { OpenAPIHono } from '@hono/zod-openapi'
import type { Sql } from '../data/db'
import type { TableSpec } from '../data/records'
import {
  academicYearInput,
  academicYearRecord,
  endsAfterStart,
  enrolmentInput,
  enrolmentRecord,
  guardianInput,
  guardianRecord,
  sectionInput,
  sectionRecord,
  staffInput,
  staffRecord,
  studentGuardianInput,
  studentGuardianRecord,
  studentInput,
  studentRecord,
  subjectInput,
  subjectRecord,
  termInput,
  termRecord,
} from '../domain/records'
import type { AppEnv } from './app'
import { registerRecordRoutes } from './records-routes'
import type { RouteCatalog } from './route-catalog'
import { guardianScope, studentGuardianScope, studentScope } from './scopes'
import { checkStudentRetention } from './student-retention'

const TIMESTAMPS = ['id', 'school_id', 'version', 'created_at', 'updated_at']

function table(name: string, writable: string[], extra: Omit<TableSpec, 'table' | 'columns' | 'writable'>): TableSpec {
  return { table: name, columns: [...TIMESTAMPS, ...writable], writable, ...extra }
}

const rangeCheck = (start: string, end: string) => (values: Record<string, unknown>) =>
  endsAfterStart(values[start] as string | null, values[end] as string | null) ? null : { [end]: `must be after ${start}` }

/** Registers the CRUD routes of every school record. */
export function registerSchoolRecords(app: OpenAPIHono<AppEnv>, catalog: RouteCatalog, sql: Sql): void {
  const academic = { read: 'academic:read', write: 'academic:write' } as const

  registerRecordRoutes(app, catalog, sql, {
    path: '/academic-years',
    tag: 'Academic years',
    entity: 'academic_year',
    ...academic,
    spec: table('academic_year', ['name', 'starts_on', 'ends_on'], { sortable: { startsOn: 'starts_on', name: 'name' }, filters: {}, search: ['name'] }),
    input: academicYearInput,
    record: academicYearRecord,
    check: rangeCheck('startsOn', 'endsOn'),
  })

  registerRecordRoutes(app, catalog, sql, {
    path: '/terms',
    tag: 'Terms',
    entity: 'term',
    ...academic,
    spec: table('term', ['academic_year_id', 'name', 'starts_on', 'ends_on'], {
      sortable: { startsOn: 'starts_on', name: 'name' },
      filters: { academicYearId: 'academic_year_id' },
      search: ['name'],
    }),
    input: termInput,
    record: termRecord,
    references: { academicYearId: 'academic_year' },
    check: rangeCheck('startsOn', 'endsOn'),
  })

  registerRecordRoutes(app, catalog, sql, {
    path: '/sections',
    tag: 'Sections',
    entity: 'section',
    ...academic,
    spec: table('section', ['academic_year_id', 'grade', 'name', 'homeroom_staff_id', 'room'], {
      sortable: { name: 'name', grade: 'grade' },
      filters: { academicYearId: 'academic_year_id', grade: 'grade', homeroomStaffId: 'homeroom_staff_id' },
      search: ['name', 'grade'],
    }),
    input: sectionInput,
    record: sectionRecord,
    references: { academicYearId: 'academic_year', homeroomStaffId: 'staff' },
  })

  registerRecordRoutes(app, catalog, sql, {
    path: '/subjects',
    tag: 'Subjects',
    entity: 'subject',
    ...academic,
    spec: table('subject', ['code', 'name'], { sortable: { code: 'code', name: 'name' }, filters: {}, search: ['code', 'name'] }),
    input: subjectInput,
    record: subjectRecord,
  })

  registerRecordRoutes(app, catalog, sql, {
    path: '/staff',
    tag: 'Staff',
    entity: 'staff',
    read: 'staff:read',
    write: 'staff:write',
    spec: table(
      'staff',
      ['employee_number', 'first_name', 'last_name', 'email', 'phone', 'position', 'department', 'photo_ref', 'hired_on', 'left_on', 'status'],
      {
        sortable: { lastName: 'last_name', employeeNumber: 'employee_number', createdAt: 'created_at' },
        filters: { status: 'status', department: 'department', position: 'position' },
        search: ['first_name', 'last_name', 'employee_number', 'email'],
      },
    ),
    input: staffInput,
    record: staffRecord,
    check: rangeCheck('hiredOn', 'leftOn'),
  })

  registerRecordRoutes(app, catalog, sql, {
    path: '/students',
    tag: 'Students',
    entity: 'student',
    read: 'students:read',
    write: 'students:write',
    spec: table(
      'student',
      ['admission_number', 'first_name', 'last_name', 'birth_date', 'gender', 'email', 'phone', 'address', 'admitted_on', 'left_on', 'status', 'photo_ref'],
      {
        sortable: { lastName: 'last_name', admissionNumber: 'admission_number', admittedOn: 'admitted_on', createdAt: 'created_at' },
        filters: {
          status: 'status',
          sectionId: (sql, value) => sql`id IN (SELECT student_id FROM enrolment WHERE section_id = ${value})`,
          academicYearId: (sql, value) => sql`id IN (SELECT student_id FROM enrolment WHERE academic_year_id = ${value})`,
        },
        search: ['first_name', 'last_name', 'admission_number'],
      },
    ),
    input: studentInput,
    record: studentRecord,
    scope: studentScope,
    limitedFields: ['id', 'admissionNumber', 'firstName', 'lastName', 'status'],
    check: rangeCheck('admittedOn', 'leftOn'),
    beforeDelete: checkStudentRetention,
  })

  registerRecordRoutes(app, catalog, sql, {
    path: '/guardians',
    tag: 'Guardians',
    entity: 'guardian',
    read: 'guardians:read',
    write: 'guardians:write',
    spec: table('guardian', ['first_name', 'last_name', 'email', 'phone', 'address'], {
      sortable: { lastName: 'last_name', createdAt: 'created_at' },
      filters: { studentId: (sql, value) => sql`id IN (SELECT guardian_id FROM student_guardian WHERE student_id = ${value})` },
      search: ['first_name', 'last_name', 'email', 'phone'],
    }),
    input: guardianInput,
    record: guardianRecord,
    scope: guardianScope,
  })

  registerRecordRoutes(app, catalog, sql, {
    path: '/student-guardians',
    tag: 'Guardians',
    entity: 'student_guardian',
    read: 'guardians:read',
    write: 'guardians:write',
    spec: table('student_guardian', ['student_id', 'guardian_id', 'relation', 'is_primary', 'may_pick_up'], {
      sortable: { createdAt: 'created_at' },
      filters: { studentId: 'student_id', guardianId: 'guardian_id' },
      search: ['relation'],
    }),
    input: studentGuardianInput,
    record: studentGuardianRecord,
    references: { studentId: 'student', guardianId: 'guardian' },
    scope: studentGuardianScope,
  })

  registerRecordRoutes(app, catalog, sql, {
    path: '/enrolments',
    tag: 'Enrolments',
    entity: 'enrolment',
    read: 'enrolments:read',
    write: 'enrolments:write',
    spec: table('enrolment', ['student_id', 'academic_year_id', 'section_id', 'status', 'enrolled_on', 'exit_on'], {
      sortable: { enrolledOn: 'enrolled_on', createdAt: 'created_at' },
      filters: { studentId: 'student_id', sectionId: 'section_id', academicYearId: 'academic_year_id', status: 'status' },
      search: ['status'],
    }),
    input: enrolmentInput,
    record: enrolmentRecord,
    references: { studentId: 'student', academicYearId: 'academic_year', sectionId: 'section' },
    check: rangeCheck('enrolledOn', 'exitOn'),
  })
}
