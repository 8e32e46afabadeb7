import { createServer, type IncomingMessage, type Server } from 'node:http'
import { gunzipSync } from 'node:zlib'

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const address = server.address()
      if (typeof address === 'object' && address) resolve(address.port)
      else reject(new Error('the server has no TCP address'))
    })
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.closeAllConnections()
    server.close((error) => (error ? reject(error) : resolve()))
  })
}

/** Starts a stand-in for the app on loopback that returns 200 on every path and can go down and up. */
export async function startProbedApp() {
  const create = () => createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('ok'))
  let server = create()
  const port = await listen(server)

  return {
    url: `http://127.0.0.1:${port}`,
    /** Stops listening, so probes get "connection refused". */
    async goDown() {
      await close(server)
    },
    /** Listens again on the same port. */
    async comeUp() {
      server = create()
      await listen(server, port)
    },
    async close() {
      if (server.listening) await close(server)
    },
  }
}

/**
 * Starts a webhook receiver that records the JSON bodies POSTed to it. It responds with 204,
 * or the status set with `answerWith`, and records only what it accepted.
 */
export async function startWebhookReceiver() {
  const received: Record<string, unknown>[] = []
  let status = 204
  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      if (status < 300) received.push(JSON.parse(body.toString('utf8')) as Record<string, unknown>)
      response.writeHead(status).end()
    })
  })
  const port = await listen(server)

  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    answerWith(next: number) {
      status = next
    },
    close: () => close(server),
  }
}

/** One Sentry event as the envelope receiver parsed it, with the raw envelope text. */
export interface ReceivedSentryEvent {
  event: {
    level?: string
    message?: string
    release?: string
    environment?: string
    tags?: Record<string, string>
    exception?: { values?: { type?: string; value?: string }[] }
    request?: unknown
  }
  raw: string
}

/**
 * Starts a Sentry envelope endpoint on loopback. The DSN it returns points the SDK at it, so no
 * event leaves the machine. Envelopes are newline-separated JSON: a header, then an item
 * header and its payload per item; only `event` items are kept.
 */
export async function startSentryReceiver() {
  const events: ReceivedSentryEvent[] = []
  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const raw = body.toString('utf8')
      const lines = raw.split('\n').filter((line) => line.trim() !== '')
      for (let index = 1; index + 1 < lines.length; index += 2) {
        const itemHeader = JSON.parse(lines[index]!) as { type?: string }
        if (itemHeader.type === 'event') events.push({ event: JSON.parse(lines[index + 1]!) as ReceivedSentryEvent['event'], raw })
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  const port = await listen(server)

  return { dsn: `http://publickey@127.0.0.1:${port}/1`, events, close: () => close(server) }
}

/** Polls until the check returns a value, or fails after the timeout with the message. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, message: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await check()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`)
}
