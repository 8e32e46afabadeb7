import { Context } from '@temporalio/activity'
import type { Sql } from '../data/db'
import { markPrimaryRemoved, pendingFileRemovals, purgeDocument, retentionRowsAfter, schoolToday, verdictOf, type PurgeContext, type PurgeOutcome } from '../data/retention'
import { purgeStudent, studentRowsAfter, studentVerdictOf } from '../data/student-retention'
import type { RetentionRules, RetentionVerdict } from '../domain/retention'
import { NO_RETENTION_COUNTS, type RetentionCounts } from '../domain/retention-runs'
import type { DocumentStorage } from '../storage/document-storage'
import type { ObjectStore } from '../storage/object-store'
import { nonRetryable } from './failures'

export interface RetentionDependencies {
  catalog: Sql
  rules: RetentionRules
  /** Every document provider; null in processes that cannot reach document files. */
  documents: DocumentStorage | null
  /** The mirror of private storage; null when MIRROR_PROVIDER is off. */
  mirror: ObjectStore | null
}

export interface RetentionBatchInput {
  schoolId: string
  asOf: string
  afterId: string | null
  batchSize: number
}

export interface RetentionBatchResult {
  counts: RetentionCounts
  /** Documents purged by this attempt; a retried batch does not count the first attempt's. */
  purged: number
  lastId: string | null
  done: boolean
}

export function createRetentionActivities(deps: RetentionDependencies) {
  /** Lists every school; a deployment has few, so the list is small. */
  async function listRetentionSchools(): Promise<{ schoolId: string; slug: string }[]> {
    return deps.catalog<{ schoolId: string; slug: string }[]>`SELECT id AS "schoolId", slug FROM school ORDER BY slug`
  }

  /** Returns the run's date in the school's time zone and whether its first purge was approved. */
  async function prepareRetentionRun(input: { schoolId: string; at: string }): Promise<{ asOf: string; approved: boolean }> {
    const asOf = await schoolToday(deps.catalog, input.schoolId, new Date(input.at))
    const [approval] = await deps.catalog`SELECT 1 FROM retention_approval WHERE school_id = ${input.schoolId}`
    return { asOf, approved: approval !== undefined }
  }

  /**
   * Judges a batch of rows and, when `purge` is set, purges the expired ones with `purgeOne`,
   * which re-reads its row under a lock, so a retry is safe.
   */
  async function judgeBatch<Row extends { id: string }>(
    input: RetentionBatchInput & { purge: boolean },
    rows: Row[],
    judge: (row: Row) => RetentionVerdict,
    purgeOne: (id: string, context: PurgeContext) => Promise<PurgeOutcome>,
  ): Promise<RetentionBatchResult> {
    const counts: RetentionCounts = { ...NO_RETENTION_COUNTS, expiredByClass: { ...NO_RETENTION_COUNTS.expiredByClass } }
    let purged = 0

    for (const row of rows) {
      const verdict = judge(row)
      counts.evaluated++
      counts[verdict.status]++
      if (verdict.status !== 'expired') continue
      counts.expiredByClass[verdict.class]++
      if (!input.purge) continue
      const { workflowId, runId } = Context.current().info.workflowExecution!
      if ((await purgeOne(row.id, { rules: deps.rules, asOf: input.asOf, workflowId, runId })) === 'purged') purged++
      Context.current().heartbeat({ afterId: input.afterId, evaluated: counts.evaluated, purged })
    }
    return { counts, purged, lastId: rows.at(-1)?.id ?? input.afterId, done: rows.length < input.batchSize }
  }

  /** Judges up to `batchSize` documents after `afterId` and, when `purge` is set, purges the expired ones. */
  async function runRetentionBatch(input: RetentionBatchInput & { purge: boolean }): Promise<RetentionBatchResult> {
    const rows = await retentionRowsAfter(deps.catalog, input.schoolId, input.afterId, input.batchSize)
    return judgeBatch(input, rows, (row) => verdictOf(row, deps.rules, input.asOf), (id, context) => purgeDocument(deps.catalog, input.schoolId, id, context))
  }

  /**
   * Judges up to `batchSize` students after `afterId` by the rule of their own record and,
   * when `purge` is set, purges the expired ones that own no document any more.
   */
  async function runStudentRetentionBatch(input: RetentionBatchInput & { purge: boolean }): Promise<RetentionBatchResult> {
    const rows = await studentRowsAfter(deps.catalog, input.schoolId, input.afterId, input.batchSize)
    return judgeBatch(input, rows, (row) => studentVerdictOf(row, input.asOf), (id, context) => purgeStudent(deps.catalog, input.schoolId, id, context))
  }

  /**
   * Removes files of deleted and purged documents from their provider and from the mirror,
   * up to `limit` of them. A file already gone counts as removed. A failure leaves its row
   * pending for the next run and is counted, not thrown, so one bad file stops nothing else.
   */
  async function removeDeletedFiles(input: { limit: number }): Promise<{ processed: number; removed: number; mirrorRemoved: number; failed: number }> {
    if (!deps.documents) throw nonRetryable('DocumentStorageMissing', 'this worker was started without document storage; start it with worker/main.ts')
    const pending = await pendingFileRemovals(deps.catalog, input.limit)
    const result = { processed: pending.length, removed: 0, mirrorRemoved: 0, failed: 0 }

    for (const file of pending) {
      try {
        if (file.primary_removed_at === null) {
          await deps.documents.remove({ provider: file.storage_provider, key: file.storage_key, category: file.category, contentType: file.content_type, fileName: file.file_name })
          await markPrimaryRemoved(deps.catalog, file.storage_provider, file.storage_key)
          result.removed++
        }
        if (file.mirrored && deps.mirror) {
          await deps.mirror.delete(file.storage_key)
          await deps.catalog`DELETE FROM mirror_object WHERE key = ${file.storage_key}`
          result.mirrorRemoved++
        }
      } catch (error) {
        Context.current().log.warn('document file removal failed; it stays pending', { key: file.storage_key, error: (error as Error).message })
        result.failed++
      }
      Context.current().heartbeat(result)
    }
    return result
  }

  /** Records the admin's approval of a school's first purge; a second call changes nothing. */
  async function recordRetentionApproval(input: { schoolId: string; approvedBy: string; workflowId: string }): Promise<void> {
    await deps.catalog`
      INSERT INTO retention_approval (school_id, approved_by, workflow_id)
      VALUES (${input.schoolId}, ${input.approvedBy}, ${input.workflowId})
      ON CONFLICT (school_id) DO NOTHING`
  }

  /** Counts the documents and students a run purged, across retries and continue-as-new. */
  async function countRunPurges(input: { workflowId: string; since: string }): Promise<{ documents: number; students: number }> {
    const rows = await deps.catalog<{ entity: 'document' | 'student'; count: string }[]>`
      SELECT entity, count(*) FROM retention_purge WHERE workflow_id = ${input.workflowId} AND purged_at >= ${input.since} GROUP BY entity`
    const count = (entity: string) => Number(rows.find((row) => row.entity === entity)?.count ?? 0)
    return { documents: count('document'), students: count('student') }
  }

  return { listRetentionSchools, prepareRetentionRun, runRetentionBatch, runStudentRetentionBatch, removeDeletedFiles, recordRetentionApproval, countRunPurges }
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>
