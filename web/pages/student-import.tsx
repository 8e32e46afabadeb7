import type { Hono } from 'hono'
import type { AppEnv } from '../../api/app'
import { CSRF_FIELD } from '../csrf'
import { FormAlert } from '../forms'
import { pageOf, requirePage, type Page, type WebDependencies } from '../page'

interface ImportProblem {
  row: number
  line: number
  field: string | null
  message: string
}

interface ImportOutcome {
  imported?: number
  error?: string
  total?: number
  rows?: ImportProblem[]
  fields?: Record<string, string>
}

/** Registers the CSV import of students, which lists every rejected row with its problem. */
export function registerStudentImportPages(web: Hono<AppEnv>, deps: WebDependencies): void {
  web.get('/students/import', requirePage('students:write'), (c) => importPage(pageOf(c, deps), {}))

  web.post('/students/import', requirePage('students:write'), async (c) => {
    const page = pageOf(c, deps)
    const file = (await c.req.parseBody()).file
    if (!(file instanceof File) || file.size === 0) return importPage(page, { fields: { file: 'choose a CSV file to import' } }, 400)

    const response = await page.api.request<ImportOutcome>('POST', '/api/students/import', { body: file.stream(), contentType: 'text/csv; charset=utf-8' })
    return importPage(page, response.data ?? { error: `the import failed with status ${response.status}` }, response.ok ? 200 : 400)
  })
}

function importPage(page: Page, outcome: ImportOutcome, status: 200 | 400 = 200) {
  const fileError = outcome.fields ? Object.entries(outcome.fields).map(([name, problem]) => (name === 'file' ? problem : `${name} ${problem}`)).join('; ') : undefined
  return page.render(
    'Import students',
    <>
      {outcome.imported !== undefined && (
        <p class="notice" role="status">
          Imported {outcome.imported} students.
        </p>
      )}
      <FormAlert message={outcome.error && !outcome.fields ? outcome.error : undefined} />
      <p>
        A UTF-8 CSV file with a header line. Columns: admission_number, first_name, last_name, birth_date, gender, email, phone, address, admitted_on, left_on, status. Either every row is imported or none is.
      </p>
      <form method="post" action={`/app/students/import?${CSRF_FIELD}=${page.csrf}`} enctype="multipart/form-data">
        <div class="field">
          <label for="field-file">CSV file (required)</label>
          <input id="field-file" type="file" name="file" accept=".csv,text/csv" required aria-describedby="error-file" aria-invalid={fileError ? 'true' : undefined} />
          <p class="error" id="error-file">
            {fileError ?? ''}
          </p>
        </div>
        <button type="submit">Import</button>
      </form>
      {outcome.rows && outcome.rows.length > 0 && <ProblemTable outcome={outcome} />}
    </>,
    status,
  )
}

function ProblemTable(props: { outcome: ImportOutcome }) {
  return (
    <section aria-labelledby="problems-heading">
      <h2 id="problems-heading">Rows with problems ({props.outcome.total})</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Row</th>
              <th scope="col">Line</th>
              <th scope="col">Field</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {(props.outcome.rows ?? []).map((problem) => (
              <tr>
                <td>{problem.row}</td>
                <td>{problem.line}</td>
                <td>{problem.field ?? '—'}</td>
                <td>{problem.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
