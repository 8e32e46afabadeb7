import { userInfo } from 'node:os'
import { decideDr, DrAlreadyRunningError, DrDecisionRejectedError, drStatus, startDr, type DrDecision } from '../client/dr'
import { DR_STAGE_TITLES, DR_STAGES, type DrReport, type DrStage } from '../domain/dr'
import { OperationFailedError, type CommandContext } from './backup-commands'
import { renderTable } from './format'

/** Returns the on-call engineer's name for the record: `--by`, else the login name. */
export function operatorName(by: string | undefined): string {
  return by ?? process.env.SCHOOL_OPS_OPERATOR ?? userInfo().username
}

function duration(from: string | null, to: string | null): string {
  if (!from) return ''
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from)
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

/** Renders a DR run as its checklist: one line per stage with status, attempts and times. */
export function renderDrReport(report: DrReport): string {
  const header = [
    `DR run ${report.workflowId} (${report.runId}): ${report.status}`,
    `reason: ${report.reason} (started ${report.startedAt} by ${report.requestedBy}, target ${report.targetDatabase})`,
  ]
  const rows = report.stages.map((stage, index) => [
    `${index + 1}. ${stage.stage}`,
    stage.status,
    String(stage.attempts.length),
    stage.startedAt?.slice(11, 19) ?? '',
    duration(stage.startedAt, stage.endedAt),
    stage.note ?? stage.summary ?? stage.attempts.at(-1)?.error ?? DR_STAGE_TITLES[stage.stage],
  ])
  const footer: string[] = []
  if (report.backup) footer.push(`backup: ${report.backup.backupId}, ${report.backup.ageHours.toFixed(1)} h old at the start (RPO 24 h)`)
  if (report.recoveryTimeMs !== null) footer.push(`recovery time: ${duration(report.startedAt, report.endedAt)} (RTO 4 h); recovery point: ${report.recoveryPoint}`)
  for (const alert of report.alerts) footer.push(`alert: ${alert}`)
  return [...header, '', renderTable(['STAGE', 'STATUS', 'TRIES', 'STARTED', 'TOOK', 'DETAIL'], rows), ...(footer.length ? ['', ...footer] : [])].join('\n')
}

const settled = (report: DrReport) => report.status !== 'running'

/** Prints the checklist whenever it changes until the run finishes or waits for on-call. */
async function follow(context: CommandContext, intervalMs = 1_000): Promise<DrReport> {
  let last = ''
  for (;;) {
    const report = await drStatus(await context.temporal())
    if (!report) throw new OperationFailedError('no DR run found')
    const shown = renderDrReport(report)
    if (shown !== last) {
      context.out(shown + '\n')
      last = shown
    }
    if (settled(report)) return report
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

function exitFor(report: DrReport): void {
  if (report.status === 'failed' || report.status === 'aborted') throw new OperationFailedError(`DR run ${report.status}`)
  if (report.status === 'waiting') {
    const stage = report.stages.find((entry) => entry.status === 'waiting' || entry.status === 'failed')
    process.stderr.write(`waiting for on-call at stage ${stage?.stage}: ${stage?.note ?? ''}\n`)
  }
}

export async function drStart(context: CommandContext, options: { reason: string; targetDatabase: string; by: string }): Promise<void> {
  try {
    const handle = await startDr(await context.temporal(), {
      reason: options.reason,
      requestedBy: options.by,
      targetDatabase: options.targetDatabase,
      taskQueue: context.config.temporal.taskQueue,
    })
    process.stderr.write(`started ${handle.workflowId} (run ${handle.firstExecutionRunId})\n`)
  } catch (error) {
    if (error instanceof DrAlreadyRunningError) throw new OperationFailedError(error.message)
    throw error
  }
  exitFor(await follow(context))
}

export async function drShowStatus(context: CommandContext, options: { watch: boolean }): Promise<void> {
  const report = await drStatus(await context.temporal())
  if (!report) return context.out('no DR run has been started')
  if (context.json) return context.out(JSON.stringify(report, null, 2))
  if (!options.watch) return context.out(renderDrReport(report))
  exitFor(await follow(context))
}

export function parseStage(value: string | undefined): DrStage {
  const stage = DR_STAGES.find((name) => name === value)
  if (!stage) throw new Error(`stage must be one of ${DR_STAGES.join(', ')}`)
  return stage
}

export async function drDecide(context: CommandContext, decision: { kind: DrDecision; stage?: DrStage; reason?: string; by: string }): Promise<void> {
  try {
    context.out(await decideDr(await context.temporal(), decision))
  } catch (error) {
    if (error instanceof DrDecisionRejectedError) throw new OperationFailedError(error.message)
    throw error
  }
}
