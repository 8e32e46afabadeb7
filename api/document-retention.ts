import { z } from '@hono/zod-openapi'
import type { Queryable } from '../data/db'
import { retentionRowsByIds, schoolToday, verdictOf } from '../data/retention'
import { RETENTION_CLASSES, type RetentionRules, type RetentionVerdict } from '../domain/retention'

/** The retention of one document, as document reads return it. */
export const documentRetention = z
  .object({
    class: z.enum(RETENTION_CLASSES),
    status: z.enum(['kept', 'expired', 'held']),
    rule: z.string(),
    anchorDate: z.string().nullable(),
    endsOn: z.string().nullable().openapi({ description: 'the first day the document may be deleted; null while unknown' }),
    legalHold: z.boolean(),
    deletable: z.boolean(),
  })
  .openapi('DocumentRetention')

export type DocumentRetention = z.infer<typeof documentRetention>

function retentionOf(verdict: RetentionVerdict): DocumentRetention {
  return { class: verdict.class, status: verdict.status, rule: verdict.rule, anchorDate: verdict.anchorDate, endsOn: verdict.endsOn, legalHold: verdict.status === 'held', deletable: verdict.deletable }
}

/** Judges the given documents today, in the school's time zone, and returns them by id. */
export async function retentionOfDocuments(sql: Queryable, rules: RetentionRules, schoolId: string, ids: readonly string[]): Promise<Map<string, DocumentRetention>> {
  if (ids.length === 0) return new Map()
  const [rows, today] = await Promise.all([retentionRowsByIds(sql, schoolId, ids), schoolToday(sql, schoolId)])
  return new Map(rows.map((row) => [row.id, retentionOf(verdictOf(row, rules, today))]))
}

/** A delete the retention rules or a legal hold forbid; the error handler makes it a 409. */
export class RetentionRefusedError extends Error {
  /** `subject` names the record, such as `document <id>`. */
  constructor(
    readonly subject: string,
    readonly verdict: RetentionVerdict,
  ) {
    super(refusalMessage(subject, verdict))
    this.name = 'RetentionRefusedError'
  }

  get body() {
    return { error: this.message, rule: this.verdict.rule, endsOn: this.verdict.endsOn, legalHold: this.verdict.status === 'held' }
  }
}

function refusalMessage(subject: string, verdict: RetentionVerdict): string {
  if (verdict.status === 'held') return `${subject} is under a legal hold and cannot be deleted until an admin lifts it`
  if (verdict.endsOn !== null) return `${subject} cannot be deleted before ${verdict.endsOn} (${verdict.rule})`
  return `${subject} cannot be deleted yet (${verdict.rule}), and that date is not recorded`
}
