import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { HTTPException } from 'hono/http-exception'
import type { Child } from 'hono/jsx'
import type { AppEnv } from '../api/app'
import type { Principal } from '../api/principal'
import type { Config } from '../config'
import { reachOf, type Permission } from '../domain/permissions'
import type { Logger } from '../observability/logger'
import { ApiClient, type ApiError, type ApiResponse, type AppFetch } from './api-client'
import { csrfToken } from './csrf'
import { Layout, type Branding } from './layout'

export interface WebDependencies {
  config: Config
  /** The whole app's fetch handler, through which pages call the JSON API. */
  fetch: AppFetch
  logger: Logger
}

/** The tools of a page handler: the API called as the user, the user's roles and form token. */
export interface Page {
  api: ApiClient
  caller: Principal
  csrf: string
  can(permission: Permission): boolean
  render(title: string, body: Child, status?: 200 | 400 | 404 | 409 | 422): Promise<Response>
}

export function pageOf(c: Context<AppEnv>, deps: WebDependencies): Page {
  const caller = c.get('principal')
  if (!caller) throw new HTTPException(401, { message: 'sign in first' })
  const api = new ApiClient(deps.fetch, c)
  const can = (permission: Permission) => reachOf(caller.roles, permission) !== null
  const csrf = caller.sessionHash ? csrfToken(caller.sessionHash) : ''

  return {
    api,
    caller,
    csrf,
    can,
    async render(title, body, status = 200) {
      const branding = can('settings:read') ? await brandingOf(api) : null
      const page = (
        <Layout title={title} path={c.req.path} user={{ roles: caller.roles, csrf }} branding={branding} styleNonce={c.get('secureHeadersNonce')}>
          {body}
        </Layout>
      )
      return c.html(`<!doctype html>${page}`, status)
    },
  }
}

async function brandingOf(api: ApiClient): Promise<Branding | null> {
  const settings = await api.get<{ name: string; logoRef: string | null; primaryColor: string | null }>('/api/settings')
  return settings.ok ? { name: settings.data.name, logoRef: settings.data.logoRef, primaryColor: settings.data.primaryColor } : null
}

/**
 * Sends a visitor who is not signed in to the sign-in page, and rejects (403) a role that has
 * none of the permissions. The same matrix guards the API the page then calls.
 */
export function requirePage(...anyOf: Permission[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const caller = c.get('principal')
    if (!caller) {
      const next = c.req.method === 'GET' ? `?next=${encodeURIComponent(c.req.path)}` : ''
      return c.redirect(`/app/login${next}`, 303)
    }
    if (anyOf.length > 0 && !anyOf.some((permission) => reachOf(caller.roles, permission) !== null)) {
      throw new HTTPException(403, { message: `your roles (${caller.roles.join(', ')}) may not open this page` })
    }
    await next()
  })
}

/** Returns the data of a successful API read, or throws its status and message for the error page. */
export function expectOk<T>(response: ApiResponse<T | ApiError>): T {
  if (response.ok) return response.data as T
  const error = (response.data as ApiError | null)?.error ?? `the API returned status ${response.status}`
  throw new HTTPException(response.status as 400, { message: error })
}

/** Returns the API error of a failed write: its message and the problem of each field. */
export function failureOf(response: ApiResponse<unknown>): { message: string; fields: Record<string, string> } {
  const body = (response.data ?? {}) as ApiError
  const fields = body.fields ?? {}
  const message = response.status === 400 && Object.keys(fields).length > 0 ? 'Please correct the fields marked below.' : (body.error ?? `the request failed with status ${response.status}`)
  return { message, fields }
}

/** Reads a urlencoded form body as strings. */
export async function formBody(c: Context<AppEnv>): Promise<Record<string, string>> {
  const body = await c.req.parseBody()
  return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
}
