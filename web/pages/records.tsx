import type { Context, Hono } from 'hono'
import type { Child } from 'hono/jsx'
import type { AppEnv } from '../../api/app'
import type { Permission } from '../../domain/permissions'
import { CsrfField, Fields, FormAlert, formValues, inputOf, valuesOf, type FieldErrors, type FieldSpec, type FormValues } from '../forms'
import { expectOk, failureOf, formBody, pageOf, requirePage, type Page, type WebDependencies } from '../page'
import { registerEnrolmentPages, sectionDetails, sectionFields, staffFields, studentFields } from './record-fields'
import { registerStudentPhotoPages, studentDetails } from './student-details'

type ApiRecord = Record<string, unknown> & { id: string; version: number }

/** The pages of one kind of school record: list with search, create, view and edit. */
export interface RecordPagesDefinition {
  /** Path under /app and under /api, such as `students`. */
  path: string
  title: string
  singular: string
  read: Permission
  write: Permission
  fields: (page: Page) => Promise<FieldSpec[]>
  columns: { label: string; value: (record: ApiRecord) => Child }[]
  heading: (record: ApiRecord) => string
  /** More links for writers beside the "New" button, such as the CSV import. */
  writerLinks?: { href: string; label: string }[]
  /** More of the record below the form, such as a student's photo and documents. */
  details?: (page: Page, record: ApiRecord) => Promise<Child>
}

const ID = ':id{[0-9a-f-]{36}}'

/** Registers the students, staff and classes pages. */
export function registerRecordPages(web: Hono<AppEnv>, deps: WebDependencies): void {
  registerStudentPhotoPages(web, deps)
  registerEnrolmentPages(web, deps)
  const students: RecordPagesDefinition = {
    path: 'students',
    title: 'Students',
    singular: 'student',
    read: 'students:read',
    write: 'students:write',
    fields: async () => studentFields,
    columns: [
      { label: 'Admission number', value: (r) => String(r.admissionNumber) },
      { label: 'Name', value: (r) => <a href={`/app/students/${r.id}`}>{`${String(r.lastName)}, ${String(r.firstName)}`}</a> },
      { label: 'Status', value: (r) => String(r.status ?? '') },
    ],
    heading: (r) => `${String(r.firstName)} ${String(r.lastName)}`,
    details: studentDetails,
    writerLinks: [{ href: '/app/students/import', label: 'Import students from a CSV file' }],
  }
  const staff: RecordPagesDefinition = {
    path: 'staff',
    title: 'Staff',
    singular: 'staff member',
    read: 'staff:read',
    write: 'staff:write',
    fields: async () => staffFields,
    columns: [
      { label: 'Employee number', value: (r) => String(r.employeeNumber) },
      { label: 'Name', value: (r) => <a href={`/app/staff/${r.id}`}>{`${String(r.lastName)}, ${String(r.firstName)}`}</a> },
      { label: 'Position', value: (r) => String(r.position) },
      { label: 'Status', value: (r) => String(r.status ?? '') },
    ],
    heading: (r) => `${String(r.firstName)} ${String(r.lastName)}`,
  }
  const sections: RecordPagesDefinition = {
    path: 'sections',
    title: 'Classes',
    singular: 'class',
    read: 'academic:read',
    write: 'academic:write',
    fields: sectionFields,
    columns: [
      { label: 'Grade', value: (r) => String(r.grade) },
      { label: 'Name', value: (r) => <a href={`/app/sections/${r.id}`}>{String(r.name)}</a> },
      { label: 'Room', value: (r) => String(r.room ?? '') },
    ],
    heading: (r) => `Class ${String(r.grade)} ${String(r.name)}`,
    details: sectionDetails,
    writerLinks: [{ href: '/app/sections/years', label: 'Add an academic year' }],
  }
  for (const definition of [students, staff, sections]) registerPagesOf(web, deps, definition)
}

function registerPagesOf(web: Hono<AppEnv>, deps: WebDependencies, definition: RecordPagesDefinition): void {
  const { path } = definition

  web.get(`/${path}`, requirePage(definition.read), (c) => listPage(c, deps, definition))
  web.get(`/${path}/new`, requirePage(definition.write), async (c) => {
    const page = pageOf(c, deps)
    return newPage(page, definition, await definition.fields(page), {}, {})
  })
  web.post(`/${path}/new`, requirePage(definition.write), async (c) => {
    const page = pageOf(c, deps)
    const specs = await definition.fields(page)
    const values = formValues(await formBody(c), specs)
    const response = await page.api.request<ApiRecord>('POST', `/api/${path}`, { json: inputOf(values, specs, 'create') })
    if (response.ok) return c.redirect(`/app/${path}/${response.data.id}?saved=created`, 303)
    const failure = failureOf(response)
    return newPage(page, definition, specs, values, failure.fields, failure.message, response.status === 409 ? 409 : 400)
  })
  web.get(`/${path}/${ID}`, requirePage(definition.read), async (c) => {
    const page = pageOf(c, deps)
    const record = expectOk(await page.api.get<ApiRecord>(`/api/${path}/${c.req.param('id')}`))
    const notice = c.req.query('saved') ? `The ${definition.singular} was ${c.req.query('saved') === 'created' ? 'created' : 'saved'}.` : undefined
    return detailPage(page, definition, record, { notice })
  })
  web.post(`/${path}/${ID}`, requirePage(definition.write), (c) => update(c, deps, definition))
}

async function listPage(c: Context<AppEnv>, deps: WebDependencies, definition: RecordPagesDefinition) {
  const page = pageOf(c, deps)
  const q = c.req.query('q')?.trim() ?? ''
  const query = new URLSearchParams({ limit: '25' })
  if (q) query.set('q', q)
  const cursor = c.req.query('cursor')
  if (cursor) query.set('cursor', cursor)
  const { items, nextCursor } = expectOk(await page.api.get<{ items: ApiRecord[]; nextCursor: string | null }>(`/api/${definition.path}?${query}`))

  return page.render(
    definition.title,
    <>
      <form method="get" action={`/app/${definition.path}`} role="search">
        <div class="field">
          <label for="search">Search by name or number</label>
          <input id="search" type="search" name="q" value={q} />
        </div>
        <button type="submit">Search</button>
      </form>
      {page.can(definition.write) && (
        <p>
          <a class="button" href={`/app/${definition.path}/new`}>
            New {definition.singular}
          </a>
          {(definition.writerLinks ?? []).map((link) => (
            <>
              {' '}
              <a href={link.href}>{link.label}</a>
            </>
          ))}
        </p>
      )}
      <RecordTable definition={definition} items={items} />
      {nextCursor && <a href={`/app/${definition.path}?${new URLSearchParams({ ...(q ? { q } : {}), cursor: nextCursor })}`}>Next page</a>}
    </>,
  )
}

function RecordTable(props: { definition: RecordPagesDefinition; items: ApiRecord[] }) {
  if (props.items.length === 0) return <p>No {props.definition.title.toLowerCase()} found.</p>
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {props.definition.columns.map((column) => (
              <th scope="col">{column.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.items.map((record) => (
            <tr>
              {props.definition.columns.map((column) => (
                <td>{column.value(record)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function newPage(page: Page, definition: RecordPagesDefinition, specs: FieldSpec[], values: FormValues, errors: FieldErrors, message?: string, status: 200 | 400 | 409 = 200) {
  return page.render(
    `New ${definition.singular}`,
    <>
      <FormAlert message={message} errors={errors} specs={specs} />
      <form method="post" action={`/app/${definition.path}/new`} novalidate>
        <CsrfField token={page.csrf} />
        <Fields specs={specs} values={values} errors={errors} />
        <button type="submit">Create</button>
      </form>
    </>,
    status,
  )
}

interface DetailState {
  values?: FormValues
  errors?: FieldErrors
  message?: string
  notice?: string
  /** The values the user tried to save when someone else saved first, and those the form had loaded. */
  unsaved?: FormValues
  loaded?: FormValues
}

async function detailPage(page: Page, definition: RecordPagesDefinition, record: ApiRecord, state: DetailState, status: 200 | 400 | 409 = 200) {
  const specs = await definition.fields(page)
  const values = state.values ?? valuesOf(record, specs)
  const details = definition.details ? await definition.details(page, record) : null
  // The user's own edits: fields they changed from what their form loaded, and that differ from what is saved now.
  const changed = specs.filter((spec) => {
    if (!state.unsaved) return false
    const mine = state.unsaved[spec.name] ?? ''
    const edited = state.loaded === undefined || mine !== (state.loaded[spec.name] ?? '')
    return edited && mine !== (values[spec.name] ?? '')
  })

  const body = page.can(definition.write) ? (
    <form method="post" action={`/app/${definition.path}/${record.id}`} novalidate>
      <CsrfField token={page.csrf} />
      <input type="hidden" name="version" value={String(record.version)} />
      <input type="hidden" name="loaded" value={JSON.stringify(values)} />
      <Fields specs={specs} values={values} errors={state.errors ?? {}} />
      <button type="submit">Save</button>
    </form>
  ) : (
    <dl>
      {specs.map((spec) => (
        <>
          <dt>{spec.label}</dt>
          <dd>{values[spec.name] || '—'}</dd>
        </>
      ))}
    </dl>
  )

  return page.render(
    definition.heading(record),
    <>
      {state.notice && (
        <p class="notice" role="status">
          {state.notice}
        </p>
      )}
      <FormAlert message={state.message} errors={state.errors} specs={specs} />
      {changed.length > 0 && (
        <section aria-labelledby="unsaved-heading">
          <h2 id="unsaved-heading">Your unsaved values</h2>
          <p>The form below shows the record as it is now saved. Enter these again if they should still apply:</p>
          <ul>
            {changed.map((spec) => (
              <li>
                {spec.label}: {state.unsaved?.[spec.name] || '(empty)'}
              </li>
            ))}
          </ul>
        </section>
      )}
      {body}
      {details}
      <p>
        <a href={`/app/${definition.path}`}>Back to {definition.title.toLowerCase()}</a>
      </p>
    </>,
    status,
  )
}

async function update(c: Context<AppEnv>, deps: WebDependencies, definition: RecordPagesDefinition) {
  const page = pageOf(c, deps)
  const id = c.req.param('id') as string
  const specs = await definition.fields(page)
  const body = await formBody(c)
  const values = formValues(body, specs)
  const response = await page.api.request<ApiRecord>('PATCH', `/api/${definition.path}/${id}`, { json: inputOf(values, specs, 'update'), ifMatch: `"${body.version ?? ''}"` })
  if (response.ok) return c.redirect(`/app/${definition.path}/${id}?saved=updated`, 303)

  const failure = failureOf(response)
  const current = expectOk(await page.api.get<ApiRecord>(`/api/${definition.path}/${id}`))
  if (response.status === 409) {
    // Someone else saved first: show the saved record with its new version, and what this
    // user typed, so nothing is overwritten unseen.
    return detailPage(page, definition, current, { message: failure.message, unsaved: values, loaded: loadedValues(body.loaded) }, 409)
  }
  return detailPage(page, definition, { ...current, version: Number(body.version) }, { values, errors: failure.fields, message: failure.message }, 400)
}

/** Reads the values the edit form was loaded with; a missing or broken field counts as none. */
function loadedValues(json: string | undefined): FormValues | undefined {
  try {
    const parsed: unknown = JSON.parse(json ?? '')
    return typeof parsed === 'object' && parsed !== null ? (parsed as FormValues) : undefined
  } catch {
    return undefined
  }
}
