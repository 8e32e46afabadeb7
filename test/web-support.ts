import type { createApp } from '../api/app'
import type { SeededUser } from './accounts-support'

type Http = ReturnType<typeof createApp>

/** The origin of `app.request()` URLs, which same-origin form posts name. */
export const TEST_ORIGIN = 'http://localhost'

/** Signs in through the web form and returns the Cookie header of the session. */
export async function signInThroughForm(http: Http, user: SeededUser): Promise<string> {
  const response = await http.request('/app/login', {
    method: 'POST',
    headers: { origin: TEST_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: user.email, password: user.password }).toString(),
  })
  const cookie = response.headers.get('set-cookie')
  if (response.status !== 303 || !cookie) throw new Error(`sign-in of ${user.email} failed with ${response.status}`)
  return cookie.split(';')[0]!
}

/** Reads the form token that a page embeds in its forms. */
export function formTokenOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html)
  if (!match?.[1]) throw new Error('the page has no form token')
  return match[1]
}

/** Posts a urlencoded form as a same-origin browser would. */
export function postForm(http: Http, path: string, cookie: string, fields: Record<string, string>, origin = TEST_ORIGIN) {
  return http.request(path, {
    method: 'POST',
    headers: { origin, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })
}
