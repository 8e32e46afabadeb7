import type { Queryable } from './db'

export interface AuditEntry {
  schoolId: string | null
  actorId: string | null
  action: string
  entity: string
  entityId: string | null
  before: unknown
  after: unknown
  requestId: string | null
}

/** Appends one audit event; call it inside the transaction of the write it records. */
export async function insertAuditEvent(sql: Queryable, entry: AuditEntry): Promise<void> {
  await sql`
    INSERT INTO audit_event (school_id, actor_id, action, entity, entity_id, before, after, request_id)
    VALUES (${entry.schoolId}, ${entry.actorId}, ${entry.action}, ${entry.entity}, ${entry.entityId},
            ${entry.before === null ? null : sql.json(entry.before as never)},
            ${entry.after === null ? null : sql.json(entry.after as never)}, ${entry.requestId})`
}

export interface AuditEvent {
  id: string
  actorId: string | null
  action: string
  entity: string
  entityId: string | null
  before: unknown
  after: unknown
  requestId: string | null
  occurredAt: Date
}

/** Lists a school's audit events newest first, optionally of one entity, before a cursor id. */
export async function listAuditEvents(
  sql: Queryable,
  filter: { schoolId: string; entity?: string; entityId?: string; beforeId?: string; limit: number },
): Promise<AuditEvent[]> {
  const rows = await sql<
    { id: string; actor_id: string | null; action: string; entity: string; entity_id: string | null; before: unknown; after: unknown; request_id: string | null; occurred_at: Date }[]
  >`
    SELECT id, actor_id, action, entity, entity_id, before, after, request_id, occurred_at
      FROM audit_event
     WHERE school_id = ${filter.schoolId}
       ${filter.entity === undefined ? sql`` : sql`AND entity = ${filter.entity}`}
       ${filter.entityId === undefined ? sql`` : sql`AND entity_id = ${filter.entityId}`}
       ${filter.beforeId === undefined ? sql`` : sql`AND id < ${filter.beforeId}`}
     ORDER BY id DESC
     LIMIT ${filter.limit}`

  return rows.map((row) => ({
    id: String(row.id),
    actorId: row.actor_id,
    action: row.action,
    entity: row.entity,
    entityId: row.entity_id,
    before: row.before,
    after: row.after,
    requestId: row.request_id,
    occurredAt: row.occurred_at,
  }))
}
