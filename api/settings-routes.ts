import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { HTTPException } from 'hono/http-exception'
import type { StorageConfig } from '../config'
import { insertAuditEvent } from '../data/audit'
import type { Sql } from '../data/db'
import { camelRow, updateRecord, type TableSpec } from '../data/records'
import type { StorageProvider } from '../domain/documents'
import { schoolSettingsInput, schoolSettingsRecord } from '../domain/records'
import type { AppEnv } from './app'
import { principal, requirePermission } from './authentication'
import { ValidationError } from './errors'
import type { RouteCatalog } from './route-catalog'
import { etagOf, expectedVersion } from './versioning'

const spec: TableSpec = {
  table: 'school',
  columns: ['id', 'slug', 'version', 'name', 'address', 'time_zone', 'fiscal_year_start_month', 'current_academic_year_id', 'logo_ref', 'primary_color', 'storage_provider'],
  writable: ['name', 'address', 'time_zone', 'fiscal_year_start_month', 'current_academic_year_id', 'logo_ref', 'primary_color', 'storage_provider'],
  sortable: {},
  filters: {},
  search: [],
  tenantColumn: 'id',
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description })

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/**
 * Registers reading and updating the caller's school settings. With `storage`, selecting a
 * storage provider the deployment has no credentials for is rejected.
 */
export function registerSettingsRoutes(app: OpenAPIHono<AppEnv>, catalog: RouteCatalog, sql: Sql, storage?: StorageConfig): void {
  catalog.add({ method: 'GET', path: '/api/settings', permission: 'settings:read' })
  catalog.add({ method: 'PATCH', path: '/api/settings', permission: 'settings:write' })

  app.openapi(
    createRoute({ method: 'get', path: '/api/settings', tags: ['Settings'], middleware: [requirePermission('settings:read')], responses: { 200: json(schoolSettingsRecord, 'the school settings') } }),
    async (c) => {
      const [row] = await sql`SELECT ${sql(spec.columns)} FROM school WHERE id = ${principal(c).schoolId}`
      if (!row) throw new HTTPException(404, { message: 'school not found' })
      c.header('ETag', etagOf(row.version as number))
      return c.json(camelRow(row) as never, 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/api/settings',
      tags: ['Settings'],
      middleware: [requirePermission('settings:write')],
      request: { body: { content: { 'application/json': { schema: schoolSettingsInput } }, required: true } },
      responses: { 200: json(schoolSettingsRecord, 'updated') },
    }),
    async (c) => {
      const caller = principal(c)
      const version = expectedVersion(c.req.header('if-match'))
      const input = c.req.valid('json')
      if (input.timeZone !== undefined && !isTimeZone(input.timeZone)) throw new ValidationError({ timeZone: `unknown time zone "${input.timeZone}"` })
      if (storage && input.storageProvider && !isConfigured(storage, input.storageProvider)) {
        throw new ValidationError({ storageProvider: `${input.storageProvider} is not configured on this deployment; choose one of ${configuredProviders(storage).join(', ')}` })
      }
      if (input.currentAcademicYearId) {
        const [year] = await sql`SELECT 1 FROM academic_year WHERE id = ${input.currentAcademicYearId} AND school_id = ${caller.schoolId}`
        if (!year) throw new ValidationError({ currentAcademicYearId: 'does not name an academic year of this school' })
      }
      const changes = Object.fromEntries(Object.entries(input).map(([key, value]) => [key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), value]))

      const outcome = await sql.begin(async (tx) => {
        const result = await updateRecord(tx, spec, { schoolId: caller.schoolId, id: caller.schoolId, expectedVersion: version }, changes)
        if (result.status === 'updated') {
          await insertAuditEvent(tx, { schoolId: caller.schoolId, actorId: caller.userId, action: 'update', entity: 'school_settings', entityId: caller.schoolId, before: camelRow(result.before), after: camelRow(result.after), requestId: c.get('requestId') })
        }
        return result
      })
      if (outcome.status === 'not-found') throw new HTTPException(404, { message: 'school not found' })
      if (outcome.status === 'conflict') throw new HTTPException(409, { message: 'the settings were changed by someone else; reload them and apply your change again' })
      c.header('ETag', etagOf(outcome.after.version as number))
      return c.json(camelRow(outcome.after) as never, 200)
    },
  )
}

function isConfigured(storage: StorageConfig, provider: StorageProvider): boolean {
  if (provider === 'cloudinary') return storage.cloudinary !== null
  if (provider === 's3') return storage.s3 !== null
  return true
}

function configuredProviders(storage: StorageConfig): StorageProvider[] {
  return (['cloudinary', 's3', 'local'] as const).filter((provider) => isConfigured(storage, provider))
}
