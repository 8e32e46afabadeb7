import type { Hono } from 'hono'
import type { AppEnv } from '../../api/app'
import { CLASSIFICATION, DOCUMENT_CATEGORIES, documentPermission, type DocumentCategory } from '../../domain/documents'
import { reachOf } from '../../domain/permissions'
import { CSRF_FIELD } from '../csrf'
import { formatBytes, formatTime } from '../format'
import { CsrfField, Fields, FormAlert, type FieldErrors, type FieldSpec, type FormValues } from '../forms'
import { expectOk, failureOf, formBody, pageOf, requirePage, type Page, type WebDependencies } from '../page'

/** The retention state the API returns with each document. */
interface Retention {
  class: string
  status: 'kept' | 'expired' | 'held'
  rule: string
  anchorDate: string | null
  endsOn: string | null
  legalHold: boolean
  deletable: boolean
}

type ApiDocument = Record<string, unknown> & { id: string; version: number; title: string; category: DocumentCategory; retention?: Retention }

const READ_PERMISSIONS = ['documents:read', 'financial-documents:read', 'sensitive-documents:read'] as const
const WRITE_PERMISSIONS = ['documents:write', 'financial-documents:write', 'sensitive-documents:write'] as const

/** Categories the roles may upload; the logo has its own form on the settings page. */
function writableCategories(page: Page): DocumentCategory[] {
  return DOCUMENT_CATEGORIES.filter((category) => category !== 'branding' && reachOf(page.caller.roles, documentPermission(category, 'write')) === 'all')
}

function uploadFields(page: Page): FieldSpec[] {
  return [
    { name: 'category', label: 'Category', type: 'select', required: true, options: writableCategories(page).map((category) => [category, category] as const) },
    { name: 'ownerType', label: 'Belongs to', type: 'select', required: true, options: [['school', 'the school'], ['student', 'a student'], ['staff', 'a staff member']] },
    { name: 'ownerId', label: 'Student or staff id', hint: 'Empty for school documents.' },
    { name: 'title', label: 'Title', required: true },
    { name: 'documentDate', label: 'Document date', type: 'date', required: true },
    { name: 'file', label: 'File (PDF or image)', type: 'file', required: true },
  ]
}

/** Describes the download link of a category for the person about to click it. */
function linkKind(category: DocumentCategory, signedUrlMinutes: number): string {
  const { access } = CLASSIFICATION[category]
  if (access === 'public') return 'a public link at the storage provider'
  if (access === 'signed-url') return `a signed link that expires after ${signedUrlMinutes} minutes`
  return 'the file itself, sent by the app after checking your access'
}

/** Registers the document list, upload, detail, download link and delete pages. */
export function registerDocumentPages(web: Hono<AppEnv>, deps: WebDependencies): void {
  web.get('/documents', requirePage(...READ_PERMISSIONS), async (c) => {
    const page = pageOf(c, deps)
    const q = c.req.query('q')?.trim() ?? ''
    const query = new URLSearchParams({ limit: '50' })
    if (q) query.set('q', q)
    const { items } = expectOk(await page.api.get<{ items: ApiDocument[] }>(`/api/documents?${query}`))
    return page.render('Documents', <DocumentList page={page} items={items} q={q} deleted={c.req.query('deleted') === '1'} />)
  })

  web.get('/documents/upload', requirePage(...WRITE_PERMISSIONS), (c) => {
    const page = pageOf(c, deps)
    const values = { ownerType: c.req.query('ownerType') ?? 'school', ownerId: c.req.query('ownerId') ?? '', documentDate: new Date().toISOString().slice(0, 10) }
    return uploadPage(page, values, {})
  })

  // The form's plain post, used where the progress script does not run: the multipart body
  // streams on to the API unread.
  web.post('/documents/upload', requirePage(...WRITE_PERMISSIONS), async (c) => {
    const page = pageOf(c, deps)
    const response = await page.api.request<ApiDocument>('POST', '/api/documents/upload', { body: c.req.raw.body, contentType: c.req.header('content-type') })
    if (response.ok) return c.redirect(`/app/documents/${response.data.id}`, 303)
    const failure = failureOf(response)
    return uploadPage(page, { documentDate: new Date().toISOString().slice(0, 10) }, failure.fields, `${failure.message} Choose the file again.`, 400)
  })

  web.get('/documents/:id{[0-9a-f-]{36}}', requirePage(...READ_PERMISSIONS), async (c) => {
    const page = pageOf(c, deps)
    const document = expectOk(await page.api.get<ApiDocument>(`/api/documents/${c.req.param('id')}`))
    return detailPage(page, deps, document)
  })

  web.post('/documents/:id{[0-9a-f-]{36}}/delete', requirePage(...WRITE_PERMISSIONS), async (c) => {
    const page = pageOf(c, deps)
    const id = c.req.param('id')
    const form = await formBody(c)
    const response = await page.api.request<{ error?: string; rule?: string; endsOn?: string }>('DELETE', `/api/documents/${id}`, { ifMatch: `"${form.version ?? ''}"` })
    if (response.ok) return c.redirect('/app/documents?deleted=1', 303)

    const document = expectOk(await page.api.get<ApiDocument>(`/api/documents/${id}`))
    const rejection = response.data ?? {}
    // A retention refusal's message already names the rule and the end date.
    const reason = rejection.error ?? `the delete failed with status ${response.status}`
    return detailPage(page, deps, document, reason, response.status === 409 ? 409 : 400)
  })
}

function DocumentList(props: { page: Page; items: ApiDocument[]; q: string; deleted: boolean }) {
  return (
    <>
      {props.deleted && (
        <p class="notice" role="status">
          The document was deleted.
        </p>
      )}
      <form method="get" action="/app/documents" role="search">
        <div class="field">
          <label for="search">Search titles</label>
          <input id="search" type="search" name="q" value={props.q} />
        </div>
        <button type="submit">Search</button>
      </form>
      {writableCategories(props.page).length > 0 && (
        <p>
          <a class="button" href="/app/documents/upload">
            Upload a document
          </a>
        </p>
      )}
      {props.items.length === 0 ? (
        <p>No documents you may see.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Category</th>
                <th scope="col">Date</th>
                <th scope="col">Size</th>
                <th scope="col">Retention ends</th>
                <th scope="col">Legal hold</th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((document) => (
                <tr>
                  <td>
                    <a href={`/app/documents/${document.id}`}>{document.title}</a>
                  </td>
                  <td>{document.category}</td>
                  <td>{String(document.documentDate)}</td>
                  <td>{formatBytes(document.sizeBytes as number | null)}</td>
                  <td>{endOf(document.retention)}</td>
                  <td>{holdOf(document) ? 'on hold' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  )
}

function holdOf(document: ApiDocument): boolean {
  return document.retention?.legalHold ?? document.legalHold === true
}

function endOf(retention: Retention | undefined): string {
  if (!retention) return '—'
  return retention.endsOn ?? 'not known yet'
}

function uploadPage(page: Page, values: FormValues, errors: FieldErrors, message?: string, status: 200 | 400 = 200) {
  const specs = uploadFields(page)
  return page.render(
    'Upload a document',
    <>
      <FormAlert message={message} errors={errors} specs={specs} />
      <form method="post" action={`/app/documents/upload?${CSRF_FIELD}=${page.csrf}`} enctype="multipart/form-data" data-upload="/api/documents/upload" data-next="/app/documents/{id}" novalidate>
        <Fields specs={specs} values={values} errors={errors} />
        <progress max="100" value="0" hidden aria-label="Upload progress"></progress>
        <p data-upload-status aria-live="polite"></p>
        <button type="submit">Upload</button>
      </form>
    </>,
    status,
  )
}

function detailPage(page: Page, deps: WebDependencies, document: ApiDocument, deleteError?: string, status: 200 | 400 | 409 = 200) {
  const canDelete = reachOf(page.caller.roles, documentPermission(document.category, 'write')) === 'all'
  const retention = document.retention
  const ownerPages = { student: '/app/students', staff: '/app/staff' } as Record<string, string>
  const ownerPage = ownerPages[String(document.ownerType)]
  const ownerLink = ownerPage && document.ownerId ? `${ownerPage}/${String(document.ownerId)}` : null

  return page.render(
    document.title,
    <>
      <dl>
        <dt>Category</dt>
        <dd>{document.category}</dd>
        <dt>Belongs to</dt>
        <dd>{ownerLink ? <a href={ownerLink}>{`${String(document.ownerType)} record`}</a> : 'the school'}</dd>
        <dt>Document date</dt>
        <dd>{String(document.documentDate)}</dd>
        <dt>File</dt>
        <dd>{document.fileName ? `${String(document.fileName)} (${String(document.contentType)}, ${formatBytes(document.sizeBytes as number)})` : 'no file'}</dd>
        <dt>SHA-256</dt>
        <dd>
          <code>{String(document.sha256 ?? '—')}</code>
        </dd>
        <dt>Uploaded</dt>
        <dd>{formatTime(String(document.createdAt))}</dd>
        <dt>Retention</dt>
        <dd>{retention?.rule ?? 'not reported'}</dd>
        <dt>Retention ends</dt>
        <dd>{endOf(retention)}</dd>
        <dt>Legal hold</dt>
        <dd>{holdOf(document) ? 'on hold: it cannot be deleted or purged until an admin lifts the hold' : 'no'}</dd>
      </dl>
      {document.fileName && (
        <p>
          <a class="button" href={`/api/documents/${document.id}/file`}>
            Download
          </a>{' '}
          The download opens {linkKind(document.category, deps.config.storage.signedUrlMinutes)}.
        </p>
      )}
      {canDelete && (
        <form method="post" action={`/app/documents/${document.id}/delete`} aria-describedby="delete-error">
          <CsrfField token={page.csrf} />
          <input type="hidden" name="version" value={String(document.version)} />
          <button type="submit" class="danger">
            Delete this document
          </button>
          <p id="delete-error" class="error" role={deleteError ? 'alert' : undefined}>
            {deleteError ? `Not deleted: ${deleteError}` : ''}
          </p>
        </form>
      )}
      <p>
        <a href="/app/documents">Back to documents</a>
      </p>
    </>,
    status,
  )
}
