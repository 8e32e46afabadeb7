import type { Context } from 'hono'
import type { AppEnv } from '../api/app'

/** The app's own fetch handler; the web pages call the JSON API through it without a socket. */
export type AppFetch = (request: Request, env?: unknown) => Response | Promise<Response>

type RequestBody = RequestInit['body']

export interface ApiResponse<T> {
  status: number
  ok: boolean
  data: T
  headers: Headers
}

/** The body of an API error: a message, and for a 400 the problem of each field. */
export interface ApiError {
  error?: string
  fields?: Record<string, string>
  [key: string]: unknown
}

export interface ApiRequestOptions {
  json?: unknown
  /** A raw body, such as a CSV file or a multipart upload passed through unread. */
  body?: RequestBody | ReadableStream<Uint8Array>
  contentType?: string
  ifMatch?: string
}

/**
 * Calls the JSON API in-process as the signed-in user, with the request's own cookie, so the
 * API's permission checks and row scopes decide what every page may show or change.
 */
export class ApiClient {
  constructor(
    private readonly fetch: AppFetch,
    private readonly c: Context<AppEnv>,
  ) {}

  get<T>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path)
  }

  async request<T>(method: string, path: string, options: ApiRequestOptions = {}): Promise<ApiResponse<T>> {
    const headers = new Headers({ 'x-request-id': this.c.get('requestId') })
    const cookie = this.c.req.header('cookie')
    if (cookie) headers.set('cookie', cookie)
    if (options.ifMatch) headers.set('if-match', options.ifMatch)

    let body = options.body
    if (options.json !== undefined) {
      body = JSON.stringify(options.json)
      headers.set('content-type', 'application/json')
    } else if (options.contentType) {
      headers.set('content-type', options.contentType)
    }

    const url = new URL(path, this.c.req.url)
    const init: RequestInit & { duplex?: 'half' } = { method, headers, body: body as RequestBody }
    if (body instanceof ReadableStream) init.duplex = 'half'
    // The node server's bindings carry the client's socket, which the sign-in rate limit reads.
    const response = await this.fetch(new Request(url, init), this.c.env)
    return { status: response.status, ok: response.ok, data: (await readBody(response)) as T, headers: response.headers }
  }
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return null
  const type = response.headers.get('content-type') ?? ''
  if (type.includes('application/json')) return response.json()
  await response.body?.cancel()
  return null
}
