import type { Context, Hono } from 'hono'
import type { AppEnv } from '../../api/app'
import { ApiClient, type ApiError } from '../api-client'
import { Field, FormAlert, type FieldErrors } from '../forms'
import { Layout, navFor } from '../layout'
import { formBody, pageOf, requirePage, type WebDependencies } from '../page'

const EMAIL = { name: 'email', label: 'Email', type: 'email', required: true, autocomplete: 'username' } as const
const PASSWORD = { name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password' } as const

/** Only paths of the web app itself are followed after sign-in, so the link cannot lead off-site. */
function safeNext(next: string | undefined): string {
  return next && /^\/app(\/[\w\-/.%]*)?$/.test(next) ? next : '/app'
}

function LoginPage(props: { email: string; next: string; message?: string; errors?: FieldErrors }) {
  return (
    <Layout title="Sign in" path="/app/login">
      <FormAlert message={props.message} />
      <form method="post" action="/app/login">
        <input type="hidden" name="next" value={props.next} />
        <Field spec={EMAIL} value={props.email} error={props.errors?.email} />
        <Field spec={PASSWORD} error={props.errors?.password} />
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  )
}

async function signIn(c: Context<AppEnv>, deps: WebDependencies) {
  const form = await formBody(c)
  const email = (form.email ?? '').trim()
  const next = safeNext(form.next)
  const response = await new ApiClient(deps.fetch, c).request<ApiError>('POST', '/api/auth/login', { json: { email, password: form.password ?? '' } })

  if (response.ok) {
    // The API sets the session cookie, Secure in production; the page passes it on.
    const cookie = response.headers.get('set-cookie')
    if (cookie) c.header('Set-Cookie', cookie)
    return c.redirect(next, 303)
  }
  const fields = response.data?.fields ?? {}
  const message = response.status === 401 ? 'Wrong email or password.' : response.status === 400 ? 'Please correct the fields marked below.' : (response.data?.error ?? 'Sign-in failed; try again.')
  const errors = response.status === 401 ? { password: 'Wrong email or password.' } : fields
  return c.html(`<!doctype html>${<LoginPage email={email} next={next} message={message} errors={errors} />}`, response.status === 429 ? 429 : 400)
}

/** Registers the sign-in page, signing in and out, and the home page. */
export function registerAuthPages(web: Hono<AppEnv>, deps: WebDependencies): void {
  web.get('/login', (c) => {
    if (c.get('principal')) return c.redirect('/app', 303)
    return c.html(`<!doctype html>${<LoginPage email="" next={safeNext(c.req.query('next'))} />}`)
  })

  web.post('/login', (c) => signIn(c, deps))

  web.post('/logout', requirePage(), async (c) => {
    const response = await pageOf(c, deps).api.request('POST', '/api/auth/logout')
    const cookie = response.headers.get('set-cookie')
    if (cookie) c.header('Set-Cookie', cookie)
    return c.redirect('/app/login', 303)
  })

  web.get('/', requirePage(), async (c) => {
    const page = pageOf(c, deps)
    const links = navFor(page.caller.roles)
    return page.render(
      'Home',
      <>
        <p>Signed in as {page.caller.roles.join(', ')}. These are the pages your roles may open:</p>
        <ul>
          {links.map((item) => (
            <li>
              <a href={item.href}>{item.label}</a>
            </li>
          ))}
        </ul>
      </>,
    )
  })
}
