import type { Context, Hono } from 'hono'
import type { AppEnv } from '../../api/app'
import type { Config } from '../../config'
import { DR_STAGE_TITLES, DR_STAGES, type DrReport, type StageRecord } from '../../domain/dr'
import { formatTime, temporalUiLink } from '../format'
import { CsrfField, Field, FormAlert, type FieldErrors, type FieldSpec } from '../forms'
import { failureOf, formBody, pageOf, requirePage, type Page, type WebDependencies } from '../page'

const START_FIELDS: FieldSpec[] = [
  { name: 'reason', label: 'Reason', required: true, hint: 'Say what failed, or that this is a drill.' },
  { name: 'targetDatabase', label: 'Target database', hint: 'A drill restores into another database; empty restores the application database.' },
]

type ReportRead = { report: DrReport } | { missing: string } | { error: string }

async function readReport(page: Page): Promise<ReportRead> {
  const response = await page.api.get<DrReport & { error?: string }>('/api/ops/dr')
  if (response.ok) return { report: response.data }
  if (response.status === 404) return { missing: 'No DR run has been started.' }
  return { error: response.data?.error ?? `the DR status could not be read (status ${response.status})` }
}

/** Registers the DR page: the run's checklist, updated live, and on-call's buttons. */
export function registerDrPages(web: Hono<AppEnv>, deps: WebDependencies): void {
  web.get('/ops/dr', requirePage('dr:read'), async (c) => drPage(c, deps, { notice: decisionNotice(c.req.query('decided'), c.req.query('stage')) }))

  web.get('/ops/dr/report', requirePage('dr:read'), async (c) => {
    const page = pageOf(c, deps)
    const read = await readReport(page)
    return c.html(`${<ReportSection page={page} config={deps.config} read={read} />}`, 'report' in read ? 200 : 404)
  })

  web.post('/ops/dr', requirePage('dr:write'), async (c) => {
    const page = pageOf(c, deps)
    const form = await formBody(c)
    const json = { reason: form.reason ?? '', ...(form.targetDatabase?.trim() ? { targetDatabase: form.targetDatabase.trim() } : {}) }
    const response = await page.api.request('POST', '/api/ops/dr', { json })
    if (response.ok) return c.redirect('/app/ops/dr', 303)
    const failure = failureOf(response)
    return drPage(c, deps, { startErrors: failure.fields, message: failure.message, values: form }, response.status === 409 ? 409 : 400)
  })

  web.post('/ops/dr/decisions', requirePage('dr:write'), async (c) => {
    const page = pageOf(c, deps)
    const form = await formBody(c)
    const json: Record<string, string> = { kind: form.kind ?? '' }
    if (form.kind !== 'abort') json.stage = form.stage ?? ''
    if (form.reason?.trim()) json.reason = form.reason.trim()
    const response = await page.api.request('POST', '/api/ops/dr/decisions', { json })
    // Redirecting after the post keeps a reload from sending the decision again.
    if (response.ok) return c.redirect(`/app/ops/dr?${new URLSearchParams({ decided: json.kind ?? '', stage: json.stage ?? '' })}`, 303)
    const failure = failureOf(response)
    const detail = Object.entries(failure.fields).map(([field, problem]) => `${field} ${problem}`).join('; ')
    return drPage(c, deps, { message: `The ${form.kind ?? ''} was not accepted: ${detail || failure.message}` }, response.status === 409 ? 409 : 400)
  })
}

/** Returns the notice of a recorded decision, from the redirect's query; unknown values show none. */
function decisionNotice(kind: string | undefined, stage: string | undefined): string | undefined {
  if (!kind || !['approve', 'retry', 'skip', 'abort'].includes(kind)) return undefined
  if (kind === 'abort') return 'Recorded: the run is being aborted.'
  return (DR_STAGES as readonly string[]).includes(stage ?? '') ? `Recorded: ${kind} for stage ${stage}.` : undefined
}

interface DrPageState {
  notice?: string
  message?: string
  startErrors?: FieldErrors
  values?: Record<string, string>
}

async function drPage(c: Context<AppEnv>, deps: WebDependencies, state: DrPageState, status: 200 | 400 | 409 = 200) {
  const page = pageOf(c, deps)
  const read = await readReport(page)
  const active = 'report' in read && (read.report.status === 'running' || read.report.status === 'waiting')
  return page.render(
    'Disaster recovery',
    <>
      {state.notice && (
        <p class="notice" role="status">
          {state.notice}
        </p>
      )}
      <FormAlert message={state.message} />
      <ReportSection page={page} config={deps.config} read={read} />
      {!active && page.can('dr:write') && (
        <form method="post" action="/app/ops/dr" novalidate>
          <h2>Start a DR run</h2>
          <CsrfField token={page.csrf} />
          {START_FIELDS.map((spec) => (
            <Field spec={spec} value={state.values?.[spec.name]} error={state.startErrors?.[spec.name]} />
          ))}
          <button type="submit">Start the DR run</button>
        </form>
      )}
    </>,
    status,
  )
}

/** Renders the run's report; while the run is active the page script replaces it with a fresh copy. */
function ReportSection(props: { page: Page; config: Config; read: ReportRead }) {
  const { read } = props
  if (!('report' in read)) {
    return (
      <section id="dr-report" data-poll="/app/ops/dr/report" data-active="false">
        <p role="status">{'missing' in read ? read.missing : `The DR status is unavailable: ${read.error}`}</p>
      </section>
    )
  }
  const { report } = read
  const active = report.status === 'running' || report.status === 'waiting'
  const link = temporalUiLink(props.config.temporal.uiUrl, props.config.temporal.namespace, report.workflowId, report.runId)
  return (
    <section id="dr-report" data-poll="/app/ops/dr/report" data-active={String(active)} aria-live="polite">
      <dl>
        <dt>Run</dt>
        <dd>
          <a href={link} rel="noopener">
            {report.workflowId} in the Temporal UI
          </a>
        </dd>
        <dt>Status</dt>
        <dd data-testid="dr-status">{report.status}</dd>
        <dt>Reason</dt>
        <dd>{report.reason}</dd>
        <dt>Started</dt>
        <dd>{`${formatTime(report.startedAt)} by ${report.requestedBy}`}</dd>
        <dt>Ended</dt>
        <dd>{formatTime(report.endedAt)}</dd>
        <dt>Target database</dt>
        <dd>{report.targetDatabase}</dd>
        <dt>Backup restored</dt>
        <dd>{report.backup ? `${report.backup.backupId}, ${report.backup.ageHours.toFixed(1)} h old when restored` : '—'}</dd>
        <dt>Recovery time</dt>
        <dd>{report.recoveryTimeMs === null ? '—' : `${Math.round(report.recoveryTimeMs / 1000)} s`}</dd>
        <dt>Recovery point</dt>
        <dd>{formatTime(report.recoveryPoint)}</dd>
        {report.alerts.length > 0 && (
          <>
            <dt>Alerts</dt>
            <dd>{report.alerts.join('; ')}</dd>
          </>
        )}
      </dl>
      <h2>Checklist</h2>
      <ol>
        {report.stages.map((stage) => (
          <StageItem page={props.page} stage={stage} waiting={report.status === 'waiting' && report.currentStage === stage.stage} />
        ))}
      </ol>
      {active && props.page.can('dr:write') && <DecisionForm csrf={props.page.csrf} kind="abort" label="Abort the run" reasonRequired />}
    </section>
  )
}

function StageItem(props: { page: Page; stage: StageRecord; waiting: boolean }) {
  const { stage } = props
  const last = stage.attempts.at(-1)
  return (
    <li data-stage={stage.stage}>
      <strong>{DR_STAGE_TITLES[stage.stage]}</strong>: <span class={`stage-${stage.status}`}>{stage.status}</span>
      {stage.attempts.length > 0 && ` (${stage.attempts.length} ${stage.attempts.length === 1 ? 'attempt' : 'attempts'})`}
      {stage.summary && <p>{stage.summary}</p>}
      {last?.error && <p class="error">Last error: {last.error}</p>}
      {stage.note && <p>{stage.note}</p>}
      {props.waiting && props.page.can('dr:write') && (
        <div>
          <DecisionForm csrf={props.page.csrf} kind="approve" stage={stage.stage} label={`Approve ${stage.stage}`} />
          <DecisionForm csrf={props.page.csrf} kind="retry" stage={stage.stage} label={`Retry ${stage.stage}`} />
          <DecisionForm csrf={props.page.csrf} kind="skip" stage={stage.stage} label={`Skip ${stage.stage}`} reasonRequired />
        </div>
      )}
    </li>
  )
}

function DecisionForm(props: { csrf: string; kind: 'approve' | 'retry' | 'skip' | 'abort'; stage?: string; label: string; reasonRequired?: boolean }) {
  const id = `reason-${props.kind}-${props.stage ?? 'run'}`
  return (
    <form method="post" action="/app/ops/dr/decisions" class={props.reasonRequired ? undefined : 'inline'}>
      <CsrfField token={props.csrf} />
      <input type="hidden" name="kind" value={props.kind} />
      {props.stage && <input type="hidden" name="stage" value={props.stage} />}
      {props.reasonRequired && (
        <div class="field">
          <label for={id}>Reason to {props.kind} (required)</label>
          <input id={id} name="reason" required />
        </div>
      )}
      <button type="submit" class={props.kind === 'abort' ? 'danger' : undefined}>
        {props.label}
      </button>{' '}
    </form>
  )
}
