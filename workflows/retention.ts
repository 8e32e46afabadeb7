import {
  condition,
  continueAsNew,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow'
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common'
import type { RetentionActivities } from '../activities/retention'
import { addRetentionCounts, NO_RETENTION_COUNTS, retentionPurgeWorkflowId } from '../domain/retention-runs'
import { OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER } from '../domain/search-attributes'
import { approvePurgeSignal, retentionProgressQuery, type RetentionRunResult, type RetentionRunState, type RetentionRunStatus } from './retention-definitions'

export interface RetentionPurgeInput {
  schoolId: string
  slug: string
  /** Judge and count only; nothing is purged and no approval is needed. */
  dryRun: boolean
  /** The day to judge by, `YYYY-MM-DD`; by default today in the school's time zone. */
  asOf?: string
  /** Documents per batch activity; default 1,000. */
  batchSize?: number
  /** How long a first purge waits for an admin's approval; default 7 days. */
  approvalTimeout?: string
  /** Set by continue-as-new: where the run goes on, and what it counted so far. */
  resume?: RetentionRunState
}

// Batches read and judge rows and purge one document per transaction; a retry is safe.
const { runRetentionBatch, runStudentRetentionBatch, removeDeletedFiles } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
})
const { prepareRetentionRun, recordRetentionApproval, countRunPurges, listRetentionSchools } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 10 },
})

// Batches per workflow run before continue-as-new, so the history stays small at any size.
const BATCHES_PER_HISTORY = 20
const FILE_REMOVALS_PER_CALL = 500
const FILE_REMOVAL_CALLS = 20

/**
 * Judges every document of one school against the retention rules, in id order, a batch at a
 * time, then every student's own record, and purges what has expired unless this is a dry run. The school's first purge waits
 * for the `approvePurge` signal from an admin; without it the run ends `not-approved` and
 * purges nothing. Only ids and counts pass through the history.
 */
export async function retentionPurgeWorkflow(input: RetentionPurgeInput): Promise<RetentionRunResult> {
  const info = workflowInfo()
  const state = input.resume ?? (await firstState(input, info.startTime))
  let approvedBy: string | null = null
  let awaitingApproval = false
  setHandler(approvePurgeSignal, (approval) => void (approvedBy = approval.approvedBy))
  setHandler(retentionProgressQuery, () => ({ ...state, dryRun: input.dryRun, awaitingApproval }))
  upsertSearchAttributes([{ key: OPS_STATUS, value: input.dryRun ? 'evaluating' : 'purging' }])

  const batch = { schoolId: input.schoolId, asOf: state.asOf, batchSize: input.batchSize ?? 1000 }
  const runBatch = (purge: boolean) => (state.phase === 'documents' ? runRetentionBatch : runStudentRetentionBatch)({ ...batch, afterId: state.afterId, purge })
  for (let count = 0; count < BATCHES_PER_HISTORY; count++) {
    let result = await runBatch(!input.dryRun && state.approved)

    if (!input.dryRun && !state.approved && result.counts.expired > 0) {
      awaitingApproval = true
      upsertSearchAttributes([{ key: OPS_STATUS, value: 'awaiting-approval' }])
      const approved = await condition(() => approvedBy !== null, input.approvalTimeout ?? '7 days')
      awaitingApproval = false
      if (!approved) return finish(input, state, 'not-approved')
      await recordRetentionApproval({ schoolId: input.schoolId, approvedBy: approvedBy!, workflowId: info.workflowId })
      state.approved = true
      upsertSearchAttributes([{ key: OPS_STATUS, value: 'purging' }])
      result = await runBatch(true)
    }

    if (state.phase === 'documents') state.counts = addRetentionCounts(state.counts, result.counts)
    else state.studentCounts = addRetentionCounts(state.studentCounts, result.counts)
    state.afterId = result.lastId
    if (result.done && state.phase === 'students') return finish(input, state, input.dryRun ? 'dry-run' : 'purged')
    if (result.done) {
      state.phase = 'students'
      state.afterId = null
    }
  }
  return continueAsNew<typeof retentionPurgeWorkflow>({ ...input, resume: state })
}

async function firstState(input: RetentionPurgeInput, startTime: Date): Promise<RetentionRunState> {
  const startedAt = startTime.toISOString()
  const prepared = await prepareRetentionRun({ schoolId: input.schoolId, at: startedAt })
  return { startedAt, asOf: input.asOf ?? prepared.asOf, approved: prepared.approved, phase: 'documents', afterId: null, counts: NO_RETENTION_COUNTS, studentCounts: NO_RETENTION_COUNTS }
}

async function finish(input: RetentionPurgeInput, state: RetentionRunState, status: RetentionRunStatus): Promise<RetentionRunResult> {
  const files = { removed: 0, mirrorRemoved: 0, failed: 0 }
  let purged = { documents: 0, students: 0 }
  if (status === 'purged') {
    for (let call = 0; call < FILE_REMOVAL_CALLS; call++) {
      const removal = await removeDeletedFiles({ limit: FILE_REMOVALS_PER_CALL })
      files.removed += removal.removed
      files.mirrorRemoved += removal.mirrorRemoved
      files.failed += removal.failed
      if (removal.processed < FILE_REMOVALS_PER_CALL || removal.failed > 0) break
    }
    purged = await countRunPurges({ workflowId: workflowInfo().workflowId, since: state.startedAt })
  }
  upsertSearchAttributes([{ key: OPS_STATUS, value: status === 'purged' && files.failed > 0 ? 'partial' : status }])
  return { status, asOf: state.asOf, counts: state.counts, studentCounts: state.studentCounts, purged: purged.documents, studentsPurged: purged.students, filesRemoved: files.removed, mirrorCopiesRemoved: files.mirrorRemoved, fileRemovalFailures: files.failed }
}

/**
 * Starts each school's purge, as the daily schedule does. A school whose purge is still
 * running, for example waiting for approval, is skipped until that run ends.
 */
export async function retentionSweepWorkflow(input: { asOf?: string } = {}): Promise<{ started: string[]; skipped: string[] }> {
  const schools = await listRetentionSchools()
  const started: string[] = []
  const skipped: string[] = []
  for (const school of schools) {
    try {
      await startChild(retentionPurgeWorkflow, {
        workflowId: retentionPurgeWorkflowId(school.slug),
        args: [{ schoolId: school.schoolId, slug: school.slug, dryRun: false, asOf: input.asOf }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: OPS_KIND, value: 'retention' },
          { key: OPS_TARGET, value: school.slug },
          { key: OPS_TRIGGER, value: 'schedule' },
        ],
      })
      started.push(school.slug)
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error
      skipped.push(school.slug)
    }
  }
  upsertSearchAttributes([{ key: OPS_STATUS, value: 'succeeded' }])
  return { started, skipped }
}
