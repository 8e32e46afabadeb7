import {
  ApplicationFailure,
  CancellationScope,
  condition,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow'
import type { DrActivities } from '../activities/dr'
import type { RestoreActivities } from '../activities/restore'
import { DATABASE_RPO_MS, DR_STAGES, newDrReport, RTO_MS, STAGE_ATTEMPTS, type DrReport, type DrStage, type StageRecord } from '../domain/dr'
import { NON_RETRYABLE_BACKUP_ERRORS } from '../domain/failures'
import type { DrAlertKind } from '../domain/monitoring'
import { DR_STAGE, OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER } from '../domain/search-attributes'
import {
  abortRunUpdate,
  approveStageUpdate,
  drStatusQuery,
  retryStageUpdate,
  skipStageUpdate,
  type DrWorkflowInput,
  type StageDecision,
} from './dr-definitions'
import { mirrorRestoreWorkflow } from './mirror-check'

// The workflow counts stage attempts itself so each one is recorded, so every stage activity
// runs once per call.
const once = { maximumAttempts: 1, nonRetryableErrorTypes: [...NON_RETRYABLE_BACKUP_ERRORS] }

const deploy = proxyActivities<DrActivities>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: '1 minute', retry: once })
// Reports and alerts must not fail the run when storage is down; they retry a few times.
const bookkeeping = proxyActivities<DrActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3, initialInterval: '2 seconds' } })

class RunAborted extends Error {}

type Decision = { kind: 'approve' | 'retry' | 'skip' | 'abort'; by: string; reason?: string }

/**
 * Walks the DR checklist: identify the point of failure, provision, deploy, restore the latest
 * verified backup, verify access. Each stage retries on its own terms and records every
 * attempt; a stage that keeps failing, or needs a person, waits for on-call to approve,
 * retry, skip or abort. The 4-hour RTO is watched from the start.
 */
export async function drRestoreWorkflow(input: DrWorkflowInput): Promise<DrReport> {
  const info = workflowInfo()
  const restore = proxyActivities<RestoreActivities>({
    startToCloseTimeout: '3 hours',
    heartbeatTimeout: `${input.restoreHeartbeatSeconds ?? 120} seconds`,
    retry: once,
  })
  const quick = proxyActivities<DrActivities>({ startToCloseTimeout: `${input.quickActivitySeconds ?? 120} seconds`, retry: once })
  const startedAt = info.startTime.getTime()
  const report = newDrReport({ workflowId: info.workflowId, runId: info.runId, reason: input.reason, requestedBy: input.requestedBy, targetDatabase: input.targetDatabase, startedAt: info.startTime.toISOString() })
  let decision: Decision | null = null
  let waitingFor: { stage: DrStage; kinds: Decision['kind'][] } | null = null

  setHandler(drStatusQuery, () => report)
  const decide = (kind: Decision['kind']) => (request: StageDecision) => {
    decision = { kind, by: request.by, reason: request.reason }
    return `${kind} recorded for stage ${request.stage}`
  }
  const validate = (kind: Decision['kind']) => (request: StageDecision) => {
    if (!waitingFor || waitingFor.stage !== request.stage || !waitingFor.kinds.includes(kind)) {
      const now = waitingFor ? `stage ${waitingFor.stage} waits for ${waitingFor.kinds.join(', ')}` : 'no stage is waiting'
      throw new Error(`cannot ${kind} stage ${request.stage}: ${now}`)
    }
    if (kind === 'skip' && !request.reason?.trim()) throw new Error('skipping a stage needs a reason')
  }
  setHandler(approveStageUpdate, decide('approve'), { validator: validate('approve') })
  setHandler(retryStageUpdate, decide('retry'), { validator: validate('retry') })
  setHandler(skipStageUpdate, decide('skip'), { validator: validate('skip') })
  // Stages run in this scope, so an abort also cancels a stage activity that is running.
  const stagesScope = new CancellationScope()
  let abortReason: string | null = null
  setHandler(abortRunUpdate, (request) => {
    abortReason = `${request.reason} (by ${request.by})`
    decision = { kind: 'abort', by: request.by, reason: request.reason }
    stagesScope.cancel()
    return 'abort recorded'
  }, { validator: (request) => { if (!request.reason.trim()) throw new Error('aborting needs a reason') } })

  const writeReport = () => bookkeeping.writeDrReport(report).catch((error: unknown) => log.warn('DR report not written to storage', { error }))
  // Report writes run one after another while the stages go on, so no stage waits for storage
  // and the last write stores the newest report. Runs recorded before this change wait.
  const writesInBackground = patched('dr-report-writes-in-background')
  let reportWrites: Promise<void> = Promise.resolve()
  const persist = async () => {
    if (!writesInBackground) return writeReport()
    reportWrites = reportWrites.then(writeReport)
  }
  const setStatus = (status: DrReport['status']) => {
    report.status = status
    upsertSearchAttributes([{ key: OPS_STATUS, value: status }, { key: DR_STAGE, value: report.currentStage ?? 'none' }])
  }
  const alert = async (kind: DrAlertKind, message: string) => {
    report.alerts.push(`${new Date().toISOString()} ${kind}: ${message}`)
    await bookkeeping.raiseAlert({ kind, message, workflowId: info.workflowId }).catch(() => undefined)
  }

  /** Waits until on-call sends one of the decisions; an abort ends the run from any wait. */
  async function waitForDecision(stage: DrStage, kinds: Decision['kind'][]): Promise<Decision> {
    waitingFor = { stage, kinds }
    decision = null
    setStatus('waiting')
    await persist()
    await condition(() => decision !== null)
    waitingFor = null
    const made = decision as unknown as Decision
    if (made.kind === 'abort') throw new RunAborted(made.reason)
    setStatus('running')
    return made
  }

  /** Runs one stage with its attempts; on exhaustion waits for retry, skip or abort. */
  async function runStage(stage: DrStage, body: (record: StageRecord) => Promise<string>): Promise<void> {
    const record = report.stages.find((entry) => entry.stage === stage)!
    const { max } = STAGE_ATTEMPTS[stage]
    const backoffMs = input.retryBackoffSeconds === undefined ? STAGE_ATTEMPTS[stage].backoffMs : input.retryBackoffSeconds * 1000
    report.currentStage = stage
    record.status = 'running'
    record.startedAt ??= new Date().toISOString()
    setStatus('running')

    for (;;) {
      for (let round = 1; round <= max; round++) {
        const attempt = { attempt: record.attempts.length + 1, startedAt: new Date().toISOString(), endedAt: null as string | null, outcome: 'running' as 'running' | 'succeeded' | 'failed', error: null as string | null }
        record.attempts.push(attempt)
        await persist()
        try {
          record.summary = await body(record)
          attempt.outcome = 'succeeded'
          attempt.endedAt = new Date().toISOString()
          record.status = 'succeeded'
          record.endedAt = attempt.endedAt
          await persist()
          return
        } catch (error) {
          if (error instanceof RunAborted || isCancellation(error)) {
            attempt.outcome = 'failed'
            attempt.endedAt = new Date().toISOString()
            attempt.error = 'cancelled by the abort'
            throw error
          }
          attempt.outcome = 'failed'
          attempt.endedAt = new Date().toISOString()
          attempt.error = failureText(error)
          // A role leak in the restored system is a finding, not a fault: the run fails.
          if (failureType(error) === 'RoleAccessMismatch') {
            record.status = 'failed'
            record.endedAt = attempt.endedAt
            throw error
          }
          if (isNonRetryable(error)) break
          if (round < max) await sleep(backoffMs)
        }
      }

      record.status = 'failed'
      record.note = 'waiting for on-call: retry, skip (with a reason) or abort'
      await alert('dr-stage-failed', `stage ${stage} failed: ${record.attempts.at(-1)?.error}`)
      const made = await waitForDecision(stage, ['retry', 'skip'])
      if (made.kind === 'skip') {
        record.status = 'skipped'
        record.note = `skipped by ${made.by}: ${made.reason}`
        record.endedAt = new Date().toISOString()
        await persist()
        return
      }
      record.status = 'running'
      record.note = `retried by ${made.by}`
    }
  }

  /** Holds a stage until on-call approves it; a skip moves past it with its reason. */
  async function awaitApproval(record: StageRecord, why: string): Promise<'approved' | 'skipped'> {
    record.status = 'waiting'
    record.note = why
    const made = await waitForDecision(record.stage, ['approve', 'skip'])
    record.status = 'running'
    record.note = `${made.kind === 'approve' ? 'approved' : 'skipped'} by ${made.by}${made.reason ? `: ${made.reason}` : ''}`
    return made.kind === 'approve' ? 'approved' : 'skipped'
  }

  let finished = false
  let replaceApproved = false
  void watchRto(() => finished, startedAt, alert)

  const runStages = async () => {
    upsertSearchAttributes([{ key: DR_STAGE, value: DR_STAGES[0] }])

    await runStage('identify-failure', async () => {
      report.diagnosis = await quick.identifyPointOfFailure({ targetDatabase: input.targetDatabase })
      return report.diagnosis.failed.length === 0 ? 'every component answers' : `failed: ${report.diagnosis.failed.join(', ')}`
    })

    await runStage('provision', () =>
      quick.provisionEnvironment({ targetDatabase: input.targetDatabase, storageFailed: report.diagnosis?.failed.includes('storage') ?? false }),
    )

    await runStage('deploy', async (record) => {
      const mode = await quick.triggerDeploy({ workflowId: info.workflowId, reason: input.reason })
      if (mode === 'manual') {
        const outcome = await awaitApproval(record, 'no deploy hook is configured: deploy the latest stable release, then approve this stage')
        if (outcome === 'skipped') return record.note ?? 'skipped'
      }
      return deploy.waitForHealthyApp()
    })

    await runStage('restore', async (record) => {
      const backup = await quick.findLatestVerifiedBackup()
      const ageHours = (startedAt - Date.parse(backup.dumpedAt)) / 3_600_000
      report.backup = { ...backup, ageHours }
      // Replacing a database that still answers needs a person's yes, asked once per run.
      if (report.diagnosis?.database === 'ok' && !replaceApproved) {
        const outcome = await awaitApproval(record, `the database "${input.targetDatabase}" still answers: approve to replace it with backup ${backup.backupId}`)
        if (outcome === 'skipped') return record.note ?? 'skipped'
        replaceApproved = true
      }
      const restored = await restore.restoreBackup({ manifestKey: backup.manifestKey, targetDatabase: input.targetDatabase, force: true })
      if (restored.rowCountMismatch) throw ApplicationFailure.nonRetryable(`restored rows differ from the backup: ${restored.rowCountMismatch}`, 'BackupNotRestorable')
      report.recoveryPoint = backup.dumpedAt
      await bookkeeping.recordDrRun({ report, runId: info.runId }).catch((error: unknown) => log.warn('DR record not written to the restored database', { error }))
      const rpo = ageHours * 3_600_000 <= DATABASE_RPO_MS ? 'within' : 'beyond'
      const summary = `restored ${backup.backupId} (${restored.tables} tables, ${restored.rows} rows); backup age ${ageHours.toFixed(1)} h, ${rpo} the 24 h RPO`
      if (!report.diagnosis?.failed.includes('storage')) return summary
      const documents = await executeChild(mirrorRestoreWorkflow, {
        workflowId: `${info.workflowId}-documents-${info.runId}`,
        args: [{}],
        typedSearchAttributes: [
          { key: OPS_KIND, value: 'mirror' },
          { key: OPS_TARGET, value: 'private-storage' },
          { key: OPS_TRIGGER, value: 'manual' },
        ],
      })
      return `${summary}; copied ${documents.restored} object(s) of private storage back from the mirror`
    })

    await runStage('verify', () => quick.verifyAccess({ targetDatabase: input.targetDatabase }))
  }

  try {
    await stagesScope.run(runStages)
    report.recoveryTimeMs = Date.now() - startedAt
    report.currentStage = null
    report.endedAt = new Date().toISOString()
    setStatus('succeeded')
  } catch (error) {
    report.endedAt = new Date().toISOString()
    if (error instanceof RunAborted || isCancellation(error)) {
      report.alerts.push(`aborted: ${abortReason ?? (error as Error).message}`)
      const running = report.stages.find((stage) => stage.status === 'running' || stage.status === 'waiting' || stage.status === 'failed')
      if (running) running.status = 'failed'
      setStatus('aborted')
    } else {
      setStatus('failed')
      await alert('dr-failed', failureText(error))
    }
  } finally {
    finished = true
  }

  await persist()
  await reportWrites
  if (report.stages.find((stage) => stage.stage === 'restore')?.status === 'succeeded') {
    await bookkeeping.recordDrRun({ report, runId: info.runId }).catch((error: unknown) => log.warn('DR record not written to the restored database', { error }))
  }
  return report
}

/** Alerts at 75 % of the RTO and at the RTO itself while the run is still going. */
async function watchRto(isFinished: () => boolean, startedAt: number, alert: (kind: DrAlertKind, message: string) => Promise<void>) {
  await sleep(RTO_MS * 0.75)
  if (isFinished()) return
  await alert('dr-rto-warning', `DR run has used 75 % of the 4-hour RTO (started ${new Date(startedAt).toISOString()})`)
  await sleep(RTO_MS * 0.25)
  if (isFinished()) return
  await alert('dr-rto-breached', 'DR run passed the 4-hour RTO')
}

function failureText(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? error.cause.message : null
  return cause && cause !== error.message ? cause : error.message
}

function failureType(error: unknown): string | null {
  const cause = error instanceof Error && error.cause instanceof ApplicationFailure ? error.cause : error
  return cause instanceof ApplicationFailure ? (cause.type ?? null) : null
}

function isNonRetryable(error: unknown): boolean {
  const cause = error instanceof Error && error.cause instanceof ApplicationFailure ? error.cause : error
  return cause instanceof ApplicationFailure && cause.nonRetryable === true
}
