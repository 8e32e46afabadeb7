import type { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../../api/app'
import { CSRF_FIELD } from '../csrf'
import { formatBytes } from '../format'
import { expectOk, failureOf, pageOf, requirePage, type Page, type WebDependencies } from '../page'

type ApiRecord = Record<string, unknown> & { id: string; version: number }

/** Renders a student's photo with a form to replace it, and the documents the caller may see. */
export async function studentDetails(page: Page, student: ApiRecord) {
  const query = new URLSearchParams({ ownerType: 'student', ownerId: student.id, limit: '100' })
  const documents = expectOk(await page.api.get<{ items: ApiRecord[] }>(`/api/documents?${query}`)).items
  const photoRef = typeof student.photoRef === 'string' ? student.photoRef : null

  return (
    <>
      <section aria-labelledby="photo-heading">
        <h2 id="photo-heading">Photo</h2>
        {photoRef ? <img class="photo" src={`/api/documents/${encodeURIComponent(photoRef)}/file`} alt={`Photo of ${String(student.firstName)} ${String(student.lastName)}`} /> : <p>No photo yet.</p>}
        {page.can('documents:write') && page.can('students:write') && (
          <form method="post" action={`/app/students/${student.id}/photo?${CSRF_FIELD}=${page.csrf}`} enctype="multipart/form-data">
            <div class="field">
              <label for="photo-file">New photo (JPEG, PNG, WebP or GIF)</label>
              <input id="photo-file" type="file" name="file" accept="image/*" required />
            </div>
            <button type="submit">Upload the photo</button>
          </form>
        )}
      </section>
      <section aria-labelledby="documents-heading">
        <h2 id="documents-heading">Documents</h2>
        {documents.length === 0 ? (
          <p>No documents you may see.</p>
        ) : (
          <ul>
            {documents.map((document) => (
              <li>
                <a href={`/app/documents/${document.id}`}>{String(document.title)}</a> ({String(document.category)}, {String(document.documentDate)}, {formatBytes(document.sizeBytes as number | null)})
              </li>
            ))}
          </ul>
        )}
        {page.can('documents:write') && <a href={`/app/documents/upload?ownerType=student&ownerId=${student.id}`}>Upload a document for this student</a>}
      </section>
    </>
  )
}

/** Registers replacing a student's photo: the file is stored as a student-photo document, then linked. */
export function registerStudentPhotoPages(web: Hono<AppEnv>, deps: WebDependencies): void {
  web.post('/students/:id{[0-9a-f-]{36}}/photo', requirePage('students:write', 'documents:write'), async (c) => {
    const page = pageOf(c, deps)
    const id = c.req.param('id')
    const student = expectOk(await page.api.get<ApiRecord>(`/api/students/${id}`))
    const file = (await c.req.parseBody()).file
    if (!(file instanceof File) || file.size === 0) throw new HTTPException(400, { message: 'choose a photo file to upload' })

    const form = new FormData()
    form.set('category', 'student-photo')
    form.set('ownerType', 'student')
    form.set('ownerId', id)
    form.set('title', `Photo of ${String(student.firstName)} ${String(student.lastName)}`)
    form.set('documentDate', new Date().toISOString().slice(0, 10))
    form.set('file', file, file.name)
    const uploaded = await page.api.request<ApiRecord>('POST', '/api/documents/upload', { body: form })
    if (!uploaded.ok) throw new HTTPException(uploaded.status as 400, { message: `the photo was not saved: ${Object.values(failureOf(uploaded).fields).join('; ') || failureOf(uploaded).message}` })

    const linked = await page.api.request('PATCH', `/api/students/${id}`, { json: { photoRef: uploaded.data.id }, ifMatch: `"${student.version}"` })
    if (!linked.ok) throw new HTTPException(linked.status as 409, { message: `the photo was stored but not linked to the student: ${failureOf(linked).message}` })
    return c.redirect(`/app/students/${id}?saved=updated`, 303)
  })
}
