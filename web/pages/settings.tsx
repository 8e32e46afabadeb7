import type { Context, Hono } from 'hono'
import type { AppEnv } from '../../api/app'
import { CSRF_FIELD } from '../csrf'
import { CsrfField, Fields, FormAlert, formValues, inputOf, valuesOf, type FieldErrors, type FieldSpec, type FormValues } from '../forms'
import { expectOk, failureOf, formBody, pageOf, requirePage, type Page, type WebDependencies } from '../page'

type Settings = Record<string, unknown> & { version: number; name: string; logoRef: string | null }

const SETTINGS_FIELDS: FieldSpec[] = [
  { name: 'name', label: 'School name', required: true },
  { name: 'address', label: 'Address', type: 'textarea' },
  { name: 'timeZone', label: 'Time zone', required: true, hint: 'An IANA name, such as Europe/Berlin.' },
  { name: 'fiscalYearStartMonth', label: 'Fiscal year starts in month (1–12)', type: 'number', required: true },
  { name: 'primaryColor', label: 'Brand colour', hint: 'A colour such as #0b57a4; it underlines the header.' },
]

/** Registers the school settings page, with its branding: name, colour and logo. */
export function registerSettingsPages(web: Hono<AppEnv>, deps: WebDependencies): void {
  web.get('/settings', requirePage('settings:read'), async (c) => {
    const page = pageOf(c, deps)
    const settings = expectOk(await page.api.get<Settings>('/api/settings'))
    return settingsPage(page, settings, valuesOf(settings, SETTINGS_FIELDS), {}, c.req.query('saved') ? 'The settings were saved.' : undefined)
  })

  web.post('/settings', requirePage('settings:write'), async (c) => {
    const page = pageOf(c, deps)
    const body = await formBody(c)
    const values = formValues(body, SETTINGS_FIELDS)
    const response = await page.api.request('PATCH', '/api/settings', { json: inputOf(values, SETTINGS_FIELDS, 'update'), ifMatch: `"${body.version ?? ''}"` })
    if (response.ok) return c.redirect('/app/settings?saved=1', 303)
    return rejected(c, page, values, failureOf(response), response.status === 409)
  })

  web.post('/settings/logo', requirePage('settings:write'), async (c) => {
    const page = pageOf(c, deps)
    // The multipart body streams on to the API unread; its only field is the file.
    const response = await page.api.request('PUT', '/api/settings/logo', { body: c.req.raw.body, contentType: c.req.header('content-type') })
    if (response.ok) return c.redirect('/app/settings?saved=1', 303)
    const settings = expectOk(await page.api.get<Settings>('/api/settings'))
    const failure = failureOf(response)
    return settingsPage(page, settings, valuesOf(settings, SETTINGS_FIELDS), { logo: failure.fields.file ?? failure.message }, undefined, 400)
  })
}

async function rejected(c: Context<AppEnv>, page: Page, values: FormValues, failure: { message: string; fields: FieldErrors }, conflict: boolean) {
  const settings = expectOk(await page.api.get<Settings>('/api/settings'))
  if (conflict) return settingsPage(page, settings, valuesOf(settings, SETTINGS_FIELDS), {}, undefined, 409, failure.message)
  const version = Number((await formBody(c)).version)
  return settingsPage(page, { ...settings, version }, values, failure.fields, undefined, 400, failure.message)
}

function settingsPage(page: Page, settings: Settings, values: FormValues, errors: FieldErrors, notice?: string, status: 200 | 400 | 409 = 200, message?: string) {
  const canWrite = page.can('settings:write')
  return page.render(
    'School settings',
    <>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <FormAlert message={message} errors={errors} specs={[...SETTINGS_FIELDS, { name: 'logo', label: 'Logo' }]} />
      {canWrite ? (
        <form method="post" action="/app/settings" novalidate>
          <CsrfField token={page.csrf} />
          <input type="hidden" name="version" value={String(settings.version)} />
          <Fields specs={SETTINGS_FIELDS} values={values} errors={errors} />
          <button type="submit">Save the settings</button>
        </form>
      ) : (
        <dl>
          {SETTINGS_FIELDS.map((spec) => (
            <>
              <dt>{spec.label}</dt>
              <dd>{values[spec.name] || '—'}</dd>
            </>
          ))}
        </dl>
      )}
      <h2>Logo</h2>
      {settings.logoRef ? <p>The logo is shown in the header of every page.</p> : <p>No logo yet.</p>}
      {canWrite && (
        <form method="post" action={`/app/settings/logo?${CSRF_FIELD}=${page.csrf}`} enctype="multipart/form-data">
          <div class="field">
            <label for="logo-file">New logo (JPEG, PNG, WebP or GIF)</label>
            <input id="logo-file" type="file" name="file" accept="image/*" required aria-describedby="error-logo" />
            <p class="error" id="error-logo">
              {errors.logo ?? ''}
            </p>
          </div>
          <button type="submit">Upload the logo</button>
        </form>
      )}
    </>,
    status,
  )
}
