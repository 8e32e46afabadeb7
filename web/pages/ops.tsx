import type { Hono } from 'hono'
import type { AppEnv } from '../../api/app'
import type { Config } from '../../config'
import { formatAge, formatBytes, formatTime, temporalUiLink } from '../format'
import { CsrfField, FormAlert } from '../forms'
import { expectOk, failureOf, pageOf, requirePage, type Page, type WebDependencies } from '../page'
import { StatusTable } from './ops-status'

export interface RetentionReport {
  asOf: string
  items: { documentId: string; category: string; class: string; rule: string; anchorDate: string | null; endsOn: string; sizeBytes: number | null }[]
  nextCursor: string | null
  scanned: number
}

/** Renders what a purge today would remove, a page at a time; reading the report changes nothing. */
export function RetentionTable(props: { report: RetentionReport }) {
  const { report } = props
  return (
    <>
      <p>
        As of {report.asOf}, {report.items.length} of the {report.scanned} documents read on this page would be purged. A purge of a school
        waits for an admin's approval the first time.
      </p>
      {report.items.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Document</th>
                <th scope="col">Category</th>
                <th scope="col">Rule</th>
                <th scope="col">Counted from</th>
                <th scope="col">Ended on</th>
              </tr>
            </thead>
            <tbody>
              {report.items.map((item) => (
                <tr>
                  <td>
                    <code>{item.documentId}</code>
                  </td>
                  <td>{item.category}</td>
                  <td>{item.rule}</td>
                  <td>{item.anchorDate ?? '—'}</td>
                  <td>{item.endsOn}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {report.nextCursor && <a href={`/app/ops/retention?cursor=${report.nextCursor}`}>Next page</a>}
    </>
  )
}

interface Backup {
  id: string
  workflowId: string
  database: string
  trigger: string
  status: string
  sizeBytes: number | null
  tables: number | null
  rows: number | null
  startedAt: string
  dumpedAt: string | null
  verifiedAt: string | null
  verification: 'passed' | 'failed' | 'pending'
  failureReason: string | null
}

interface MirrorRun {
  workflowId: string
  status: string
  startedAt: string
  endedAt: string
  scanned: number
  copied: number
  skipped: number
  failed: number
  bytesMoved: number
  note: string | null
}

/** Returns a workflow id passed back after a start, or undefined when the query contains anything else. */
function startedId(value: string | undefined): string | undefined {
  return value && /^[\w.:-]{1,200}$/.test(value) ? value : undefined
}

function TemporalLink(props: { config: Config; workflowId: string; runId?: string | null }) {
  return (
    <a href={temporalUiLink(props.config.temporal.uiUrl, props.config.temporal.namespace, props.workflowId, props.runId)} rel="noopener">
      {props.workflowId}
    </a>
  )
}

function Notice(props: { text?: string; error?: string }) {
  if (props.error) return <FormAlert message={props.error} />
  if (!props.text) return null
  return (
    <p class="notice" role="status">
      {props.text}
    </p>
  )
}

/** Registers the ops status, backups, mirror and retention report pages. */
export function registerOpsPages(web: Hono<AppEnv>, deps: WebDependencies): void {
  web.get('/ops', requirePage('ops-status:read'), async (c) => {
    const page = pageOf(c, deps)
    const status = expectOk(await page.api.get<Record<string, unknown>>('/api/ops/status'))
    return page.render('Ops status', <StatusTable status={status} />)
  })

  web.get('/ops/backups', requirePage('operations:read'), (c) => backupsPage(page(c), { started: startedId(c.req.query('started')) }))
  web.post('/ops/backups', requirePage('operations:write'), async (c) => {
    const current = page(c)
    const response = await current.api.request<{ workflowId: string }>('POST', '/api/ops/backups', { json: {} })
    if (!response.ok) return backupsPage(current, { error: `The backup did not start: ${failureOf(response).message}` }, 409)
    // Redirecting after the post keeps a reload from starting a second backup.
    return c.redirect(`/app/ops/backups?started=${encodeURIComponent(response.data.workflowId)}`, 303)
  })

  web.get('/ops/mirror', requirePage('operations:read'), (c) => mirrorPage(page(c), { started: startedId(c.req.query('started')) }))
  web.post('/ops/mirror', requirePage('operations:write'), async (c) => {
    const current = page(c)
    const response = await current.api.request<{ workflowId: string }>('POST', '/api/ops/mirror')
    if (!response.ok) return mirrorPage(current, { error: `The mirror run did not start: ${failureOf(response).message}` }, 409)
    return c.redirect(`/app/ops/mirror?started=${encodeURIComponent(response.data.workflowId)}`, 303)
  })

  web.get('/ops/retention', requirePage('retention:read'), (c) => retentionPage(page(c), c.req.query('cursor')))
  web.post('/ops/retention/approval', requirePage('retention:write'), async (c) => {
    const current = page(c)
    const response = await current.api.request<{ workflowId: string }>('POST', '/api/ops/retention/approval')
    if (!response.ok) return retentionPage(current, undefined, { error: `Not approved: ${failureOf(response).message}` }, 409)
    return retentionPage(current, undefined, { approved: response.data.workflowId })
  })

  const page = (c: Parameters<typeof pageOf>[0]) => pageOf(c, deps)

  async function retentionPage(current: Page, cursor: string | undefined, outcome: { approved?: string; error?: string } = {}, status: 200 | 409 = 200) {
    const query = cursor && /^[0-9a-f-]{36}$/.test(cursor) ? `&cursor=${cursor}` : ''
    const report = expectOk(await current.api.get<RetentionReport>(`/api/ops/retention/report?limit=100${query}`))
    return current.render(
      'Retention report',
      <>
        <Notice text={outcome.approved && `Purge approved: ${outcome.approved} goes on now.`} error={outcome.error} />
        {current.can('retention:write') && (
          <form method="post" action="/app/ops/retention/approval">
            <CsrfField token={current.csrf} />
            <button type="submit">Approve the first purge</button>
          </form>
        )}
        <RetentionTable report={report} />
      </>,
      status,
    )
  }

  async function backupsPage(current: Page, outcome: { started?: string; error?: string } = {}, status: 200 | 409 = 200) {
    const { backups } = expectOk(await current.api.get<{ backups: Backup[] }>('/api/ops/backups?limit=50'))
    return current.render(
      'Backups',
      <>
        <Notice text={outcome.started && `Backup started: ${outcome.started}. Reload this page to follow it.`} error={outcome.error} />
        {current.can('operations:write') && (
          <form method="post" action="/app/ops/backups">
            <CsrfField token={current.csrf} />
            <button type="submit">Back up now</button>
          </form>
        )}
        <BackupTable config={deps.config} backups={backups} />
      </>,
      status,
    )
  }

  async function mirrorPage(current: Page, outcome: { started?: string; error?: string } = {}, status: 200 | 409 = 200) {
    const { runs } = expectOk(await current.api.get<{ runs: MirrorRun[] }>('/api/ops/mirror/runs?limit=50'))
    return current.render(
      'Mirror runs',
      <>
        <Notice text={outcome.started && `Mirror run started: ${outcome.started}. Reload this page to follow it.`} error={outcome.error} />
        {current.can('operations:write') && (
          <form method="post" action="/app/ops/mirror">
            <CsrfField token={current.csrf} />
            <button type="submit">Mirror now</button>
          </form>
        )}
        <MirrorTable config={deps.config} runs={runs} />
      </>,
      status,
    )
  }
}

function BackupTable(props: { config: Config; backups: Backup[] }) {
  if (props.backups.length === 0) return <p>No backups yet.</p>
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Database</th>
            <th scope="col">Status</th>
            <th scope="col">Age</th>
            <th scope="col">Size</th>
            <th scope="col">Verification</th>
            <th scope="col">Restore drill</th>
            <th scope="col">Temporal</th>
          </tr>
        </thead>
        <tbody>
          {props.backups.map((backup) => (
            <tr>
              <td>{formatTime(backup.startedAt)}</td>
              <td>{backup.database}</td>
              <td>{backup.status}</td>
              <td>{formatAge(backup.dumpedAt ?? backup.startedAt)}</td>
              <td>{formatBytes(backup.sizeBytes)}</td>
              <td>{backup.verification}</td>
              <td>{drillResult(backup)}</td>
              <td>
                <TemporalLink config={props.config} workflowId={backup.workflowId} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function drillResult(backup: Backup): string {
  if (backup.verification === 'passed') return `restored and matched: ${backup.tables ?? '?'} tables, ${backup.rows ?? '?'} rows (${formatTime(backup.verifiedAt)})`
  if (backup.verification === 'failed') return `failed: ${backup.failureReason ?? 'no reason recorded'}`
  return 'not run yet'
}

function MirrorTable(props: { config: Config; runs: MirrorRun[] }) {
  if (props.runs.length === 0) return <p>No mirror run has finished yet.</p>
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Ended</th>
            <th scope="col">Status</th>
            <th scope="col">Scanned</th>
            <th scope="col">Copied</th>
            <th scope="col">Unchanged</th>
            <th scope="col">Failed</th>
            <th scope="col">Moved</th>
            <th scope="col">Note</th>
            <th scope="col">Temporal</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((run) => (
            <tr>
              <td>{`${formatTime(run.endedAt)} (${formatAge(run.endedAt)})`}</td>
              <td>{run.status}</td>
              <td>{run.scanned}</td>
              <td>{run.copied}</td>
              <td>{run.skipped}</td>
              <td>{run.failed}</td>
              <td>{formatBytes(run.bytesMoved)}</td>
              <td>{run.note ?? ''}</td>
              <td>
                <TemporalLink config={props.config} workflowId={run.workflowId} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
