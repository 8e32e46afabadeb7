import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { HTTPException } from 'hono/http-exception'
import { hashPassword } from '../auth/passwords'
import { hashSecret, newSecret } from '../auth/tokens'
import { insertApiToken, insertUser, revokeApiToken } from '../data/accounts'
import { insertAuditEvent, listAuditEvents } from '../data/audit'
import type { Sql } from '../data/db'
import { camelRow } from '../data/records'
import { ROLES, type Permission } from '../domain/permissions'
import type { AppEnv } from './app'
import { principal, requirePermission } from './authentication'
import { ValidationError } from './errors'
import type { RouteCatalog } from './route-catalog'

const userInput = z
  .strictObject({
    email: z.email().max(320),
    displayName: z.string().trim().min(1).max(200),
    password: z.string().min(12, 'must be at least 12 characters').max(1024),
    roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
    staffId: z.uuid().nullable().optional(),
  })
  .openapi('NewUser')
const userRecord = z
  .object({ id: z.uuid(), email: z.string(), displayName: z.string(), roles: z.array(z.enum(ROLES)), staffId: z.uuid().nullable(), disabled: z.boolean() })
  .openapi('User')
const tokenInput = z.strictObject({ name: z.string().trim().min(1).max(100) })
const newToken = z.object({ id: z.uuid(), name: z.string(), token: z.string().openapi({ description: 'shown once; only its hash is stored' }) })
const auditQuery = z.strictObject({
  entity: z.string().max(60).optional(),
  entityId: z.string().max(100).optional(),
  before: z.string().regex(/^\d{1,18}$/).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description })

/** Registers user, API token and audit log routes for admins. */
export function registerAdminRoutes(app: OpenAPIHono<AppEnv>, catalog: RouteCatalog, sql: Sql): void {
  const guarded = (method: 'get' | 'post' | 'delete', path: string, permission: Permission) => {
    catalog.add({ method: method.toUpperCase(), path: `/api${path}`, permission })
    return { method, path: `/api${path}`, tags: ['Administration'], middleware: [requirePermission(permission)] }
  }

  app.openapi(createRoute({ ...guarded('get', '/users', 'users:read'), responses: { 200: json(z.object({ items: z.array(userRecord) }), 'users of the school') } }), async (c) => {
    const rows = await sql`
      SELECT id, email, display_name, roles, staff_id, disabled FROM app_user
       WHERE school_id = ${principal(c).schoolId} ORDER BY lower(email)`
    return c.json({ items: rows.map(camelRow) } as never, 200)
  })

  app.openapi(
    createRoute({ ...guarded('post', '/users', 'users:write'), request: { body: { content: { 'application/json': { schema: userInput } }, required: true } }, responses: { 201: json(userRecord, 'created') } }),
    async (c) => {
      const caller = principal(c)
      const input = c.req.valid('json')
      if (input.staffId) {
        const [staff] = await sql`SELECT 1 FROM staff WHERE id = ${input.staffId} AND school_id = ${caller.schoolId}`
        if (!staff) throw new ValidationError({ staffId: 'does not name a staff member of this school' })
      }
      const passwordHash = await hashPassword(input.password)

      const user = await sql.begin(async (tx) => {
        const created = await insertUser(tx, { schoolId: caller.schoolId, email: input.email, displayName: input.displayName, passwordHash, roles: input.roles, staffId: input.staffId ?? null })
        const { passwordHash: _hash, ...shown } = created
        await insertAuditEvent(tx, { schoolId: caller.schoolId, actorId: caller.userId, action: 'create', entity: 'user', entityId: created.id, before: null, after: shown, requestId: c.get('requestId') })
        return shown
      })
      return c.json({ id: user.id, email: user.email, displayName: user.displayName, roles: user.roles, staffId: user.staffId, disabled: user.disabled }, 201)
    },
  )

  app.openapi(
    createRoute({ ...guarded('post', '/users/{id}/tokens', 'users:write'), request: { params: z.object({ id: z.uuid() }), body: { content: { 'application/json': { schema: tokenInput } }, required: true } }, responses: { 201: json(newToken, 'created') } }),
    async (c) => {
      const caller = principal(c)
      const { id } = c.req.valid('param')
      const { name } = c.req.valid('json')
      const [owner] = await sql`SELECT 1 FROM app_user WHERE id = ${id} AND school_id = ${caller.schoolId}`
      if (!owner) throw new HTTPException(404, { message: `user ${id} not found` })

      const token = newSecret('sot')
      const created = await sql.begin(async (tx) => {
        const inserted = await insertApiToken(tx, { userId: id, name, tokenHash: hashSecret(token) })
        await insertAuditEvent(tx, { schoolId: caller.schoolId, actorId: caller.userId, action: 'create', entity: 'api_token', entityId: inserted.id, before: null, after: { userId: id, name }, requestId: c.get('requestId') })
        return inserted
      })
      return c.json({ id: created.id, name, token }, 201)
    },
  )

  app.openapi(
    createRoute({ ...guarded('delete', '/tokens/{id}', 'users:write'), request: { params: z.object({ id: z.uuid() }) }, responses: { 204: { description: 'revoked' } } }),
    async (c) => {
      const caller = principal(c)
      const { id } = c.req.valid('param')
      const revoked = await sql.begin(async (tx) => {
        const found = await revokeApiToken(tx, id, caller.schoolId)
        if (found) await insertAuditEvent(tx, { schoolId: caller.schoolId, actorId: caller.userId, action: 'revoke', entity: 'api_token', entityId: id, before: null, after: null, requestId: c.get('requestId') })
        return found
      })
      if (!revoked) throw new HTTPException(404, { message: `active token ${id} not found` })
      return c.body(null, 204)
    },
  )

  app.openapi(createRoute({ ...guarded('get', '/audit', 'audit:read'), request: { query: auditQuery }, responses: { 200: json(z.object({ items: z.array(z.any()) }), 'audit events, newest first') } }), async (c) => {
    const query = c.req.valid('query')
    const items = await listAuditEvents(sql, { schoolId: principal(c).schoolId, entity: query.entity, entityId: query.entityId, beforeId: query.before, limit: query.limit })
    return c.json({ items } as never, 200)
  })
}
