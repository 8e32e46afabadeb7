import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client'
import { HTTPException } from 'hono/http-exception'
import { startRetentionRun } from '../client/retention'
import type { Config } from '../config'
import type { Sql } from '../data/db'
import { listLegalHolds, liftLegalHold, placeLegalHold } from '../data/legal-holds'
import { findExpiredDocuments, schoolToday } from '../data/retention'
import type { Permission } from '../domain/permissions'
import { RETENTION_CLASSES } from '../domain/retention'
import { retentionPurgeWorkflowId } from '../domain/retention-runs'
import { approvePurgeSignal, retentionProgressQuery } from '../workflows/retention-definitions'
import type { AppEnv } from './app'
import { principal, requirePermission } from './authentication'
import type { RouteCatalog } from './route-catalog'

export interface RetentionRouteDependencies {
  config: Config
  sql: Sql
  temporal: () => Promise<Client>
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description })
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } })
const failure = (description: string) => json(z.object({ error: z.string() }), description)

const documentParam = z.object({ id: z.uuid() })
const reasonBody = z.strictObject({ reason: z.string().trim().min(3).max(500) })
const isoDate = z.iso.date()
const legalHold = z
  .object({ id: z.string(), documentId: z.string(), reason: z.string(), placedBy: z.string(), placedAt: z.date(), liftedBy: z.string().nullable(), liftedAt: z.date().nullable(), liftReason: z.string().nullable() })
  .openapi('LegalHold')
const reportQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.uuid().optional(),
  asOf: isoDate.optional().openapi({ description: 'judge as on this day; default today in the school time zone' }),
})
const expiredDocument = z.object({ documentId: z.string(), category: z.string(), class: z.enum(RETENTION_CLASSES), rule: z.string(), anchorDate: z.string().nullable(), endsOn: z.string(), sizeBytes: z.number().nullable() })
const runBody = z.strictObject({ dryRun: z.boolean(), asOf: isoDate.optional() })
const started = z.object({ workflowId: z.string(), runId: z.string() })

// Caps the rows one report request reads, so a page of a large school returns in bounded time.
const MAX_SCANNED_PER_PAGE = 20_000

/** Legal holds on documents, the retention report, purge runs and the first purge's approval. */
export function registerRetentionRoutes(app: OpenAPIHono<AppEnv>, catalog: RouteCatalog, deps: RetentionRouteDependencies): void {
  const route = (method: 'get' | 'post', path: string, permission: Permission, tag: string) => {
    catalog.add({ method: method.toUpperCase(), path: `/api${path}`, permission })
    return { method, path: `/api${path}`, tags: [tag], middleware: [requirePermission(permission)] }
  }
  const { sql } = deps

  const requireDocument = async (schoolId: string, id: string) => {
    const [row] = await sql`SELECT 1 FROM document WHERE school_id = ${schoolId} AND id = ${id}`
    if (!row) throw new HTTPException(404, { message: `document ${id} not found` })
  }

  app.openapi(createRoute({ ...route('get', '/documents/{id}/legal-holds', 'legal-holds:read', 'Retention'), request: { params: documentParam }, responses: { 200: json(z.object({ holds: z.array(legalHold) }), 'every hold placed on the document, oldest first'), 404: failure('no such document') } }), async (c) => {
    const { id } = c.req.valid('param')
    const { schoolId } = principal(c)
    const holds = await listLegalHolds(sql, schoolId, id)
    if (holds.length === 0) await requireDocument(schoolId, id)
    return c.json({ holds } as never, 200)
  })

  app.openapi(createRoute({ ...route('post', '/documents/{id}/legal-hold', 'legal-holds:write', 'Retention'), request: { params: documentParam, ...body(reasonBody) }, responses: { 201: json(legalHold, 'placed'), 404: failure('no such document'), 409: failure('the document is already on hold') } }), async (c) => {
    const { id } = c.req.valid('param')
    const caller = principal(c)
    await requireDocument(caller.schoolId, id)
    const hold = await placeLegalHold(sql, { schoolId: caller.schoolId, documentId: id, userId: caller.userId, reason: c.req.valid('json').reason, requestId: c.get('requestId') })
    if (!hold) throw new HTTPException(409, { message: `document ${id} is already under a legal hold` })
    return c.json(hold as never, 201)
  })

  app.openapi(createRoute({ ...route('post', '/documents/{id}/legal-hold/lift', 'legal-holds:write', 'Retention'), request: { params: documentParam, ...body(reasonBody) }, responses: { 200: json(legalHold, 'lifted'), 404: failure('no such document'), 409: failure('the document is not on hold') } }), async (c) => {
    const { id } = c.req.valid('param')
    const caller = principal(c)
    await requireDocument(caller.schoolId, id)
    const hold = await liftLegalHold(sql, { schoolId: caller.schoolId, documentId: id, userId: caller.userId, reason: c.req.valid('json').reason, requestId: c.get('requestId') })
    if (!hold) throw new HTTPException(409, { message: `document ${id} has no legal hold to lift` })
    return c.json(hold as never, 200)
  })

  app.openapi(createRoute({ ...route('get', '/ops/retention/report', 'retention:read', 'Retention'), request: { query: reportQuery }, responses: { 200: json(z.object({ asOf: z.string(), items: z.array(expiredDocument), nextCursor: z.string().nullable(), scanned: z.number() }), 'what a purge on that day would remove, and why') } }), async (c) => {
    const query = c.req.valid('query')
    const { schoolId } = principal(c)
    const asOf = query.asOf ?? (await schoolToday(sql, schoolId))
    const page = await findExpiredDocuments(sql, deps.config.retention.rules, { schoolId, asOf, cursor: query.cursor ?? null, limit: query.limit, maxScanned: MAX_SCANNED_PER_PAGE })
    return c.json({ asOf, ...page } as never, 200)
  })

  app.openapi(createRoute({ ...route('post', '/ops/retention/runs', 'retention:write', 'Retention'), request: body(runBody), responses: { 202: json(started, 'started'), 409: failure("the school's purge is already running") } }), async (c) => {
    const input = c.req.valid('json')
    const school = await schoolOf(sql, principal(c).schoolId)
    const handle = await startRetentionRun(await deps.temporal(), { taskQueue: deps.config.temporal.taskQueue, school, dryRun: input.dryRun, asOf: input.asOf, requestId: c.get('requestId') }).catch((error: unknown) => {
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw new HTTPException(409, { message: `a retention run of school ${school.slug} is already running: ${error.workflowId}` })
      throw error
    })
    return c.json({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId }, 202)
  })

  app.openapi(createRoute({ ...route('post', '/ops/retention/approval', 'retention:write', 'Retention'), responses: { 202: json(z.object({ workflowId: z.string() }), 'approval sent to the waiting purge'), 409: failure('no purge is waiting for approval') } }), async (c) => {
    const caller = principal(c)
    const school = await schoolOf(sql, caller.schoolId)
    const handle = (await deps.temporal()).workflow.getHandle(retentionPurgeWorkflowId(school.slug))
    const waiting = await handle.query(retentionProgressQuery).then(
      (progress) => progress.awaitingApproval,
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return false
        throw error
      },
    )
    if (!waiting) throw new HTTPException(409, { message: `no purge of school ${school.slug} is waiting for approval` })
    await handle.signal(approvePurgeSignal, { approvedBy: caller.userId })
    return c.json({ workflowId: handle.workflowId }, 202)
  })
}

async function schoolOf(sql: Sql, schoolId: string): Promise<{ id: string; slug: string }> {
  const [school] = await sql<{ id: string; slug: string }[]>`SELECT id, slug FROM school WHERE id = ${schoolId}`
  if (!school) throw new HTTPException(404, { message: `school ${schoolId} not found` })
  return school
}
