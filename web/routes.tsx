import { Hono } from 'hono'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import { NONCE, secureHeaders } from 'hono/secure-headers'
import type { AppEnv } from '../api/app'
import type { Config } from '../config'
import { SCRIPT, STYLE_SHEET } from './assets'
import { allowedOrigins, requireFormToken } from './csrf'
import { Layout } from './layout'
import type { WebDependencies } from './page'
import { registerAuthPages } from './pages/auth'
import { registerDocumentPages } from './pages/documents'
import { registerDrPages } from './pages/dr'
import { registerOpsPages } from './pages/ops'
import { registerRecordPages } from './pages/records'
import { registerSettingsPages } from './pages/settings'
import { registerStudentImportPages } from './pages/student-import'

/** Lists the image sources: the app, and the hosts that serve logos and photos by redirect. */
function imageSources(config: Config): string[] {
  const sources = ["'self'", 'data:']
  if (config.storage.cloudinary) sources.push(`https://${config.storage.cloudinary.deliveryHost}`)
  if (config.storage.s3) sources.push(new URL(config.storage.s3.publicEndpoint).origin)
  return sources
}

/**
 * Creates the server-rendered web app, mounted at /app. Pages read and write through the JSON
 * API in-process as the signed-in user, so the API's permission checks apply to them unchanged.
 * The caller must run `authenticate` on /app/* first.
 */
export function createWebRoutes(deps: WebDependencies): Hono<AppEnv> {
  const web = new Hono<AppEnv>()

  web.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", NONCE],
        imgSrc: imageSources(deps.config),
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
      },
      xFrameOptions: 'DENY',
      referrerPolicy: 'same-origin',
      strictTransportSecurity: deps.config.env === 'production' ? 'max-age=31536000' : false,
    }),
  )
  web.use('*', csrf({ origin: (origin, c) => allowedOrigins(c.req.url, deps.config.api.publicUrl).includes(origin) }))
  web.use('*', requireFormToken())

  web.get('/assets/app.css', (c) => c.body(STYLE_SHEET, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=300' }))
  web.get('/assets/app.js', (c) => c.body(SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=300' }))

  registerAuthPages(web, deps)
  registerSettingsPages(web, deps)
  registerStudentImportPages(web, deps)
  registerRecordPages(web, deps)
  registerDocumentPages(web, deps)
  registerOpsPages(web, deps)
  registerDrPages(web, deps)

  web.all('*', () => {
    throw new HTTPException(404, { message: 'there is no such page' })
  })
  web.onError((error, c) => {
    const status = error instanceof HTTPException ? error.status : 500
    if (status >= 500) deps.logger.error({ err: error, requestId: c.get('requestId'), path: c.req.path }, 'web page failed')
    const message = status >= 500 ? `Something went wrong (request ${c.get('requestId')}); try again.` : error.message || 'The request was rejected because it came from another site.'
    const title = status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Error'
    const signedIn = c.get('principal') !== undefined
    const page = (
      <Layout title={title} path={c.req.path}>
        <p role="alert">{message}</p>
        <p>
          <a href={signedIn ? '/app' : '/app/login'}>{signedIn ? 'Back to the home page' : 'Sign in'}</a>
        </p>
      </Layout>
    )
    return c.html(`<!doctype html>${page}`, status)
  })
  return web
}
