import busboy from 'busboy'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Agent, createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** One request the fake received, for assertions about what the SDK sent. */
export interface ReceivedCall {
  action: 'upload' | 'destroy' | 'delivery'
  fields: Record<string, string>
  contentRange?: string
  status: number
}

interface Asset {
  bytes: Buffer
  format: string | undefined
}

/**
 * A stand-in for Cloudinary's upload API and delivery host on loopback HTTPS, for tests of the
 * real SDK. It implements signed upload (single and chunked by Content-Range), destroy, and
 * delivery of `upload` and signed `authenticated` assets, and rejects any request whose
 * signature does not match the API secret.
 */
export class FakeCloudinary {
  readonly calls: ReceivedCall[] = []
  readonly assets = new Map<string, Asset>()
  private readonly pendingChunks = new Map<string, Buffer[]>()
  private server!: Server
  private certDir!: string
  agent!: Agent
  port = 0

  constructor(readonly cloudName: string, readonly apiKey: string, readonly apiSecret: string) {}

  /** Starts the server with a fresh self-signed certificate for 127.0.0.1. */
  async start(): Promise<void> {
    this.certDir = mkdtempSync(join(tmpdir(), 'fake-cloudinary-'))
    const key = join(this.certDir, 'key.pem')
    const cert = join(this.certDir, 'cert.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
    const certificate = readFileSync(cert)
    this.agent = new Agent({ ca: certificate })
    this.server = createServer({ key: readFileSync(key), cert: certificate }, (request, response) => void this.handle(request, response))
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
    rmSync(this.certDir, { recursive: true, force: true })
  }

  get origin(): string {
    return `https://127.0.0.1:${this.port}`
  }

  get host(): string {
    return `127.0.0.1:${this.port}`
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.origin)
    const api = new RegExp(`^/v1_1/${this.cloudName}/(image|raw)/(upload|destroy)$`).exec(url.pathname)
    try {
      if (request.method === 'POST' && api) return await this.handleApi(api[1]!, api[2] as 'upload' | 'destroy', request, response)
      if (request.method === 'GET') return this.handleDelivery(url.pathname, response)
      reply(response, 404, { error: { message: `no route ${request.method} ${url.pathname}` } })
    } catch (error) {
      reply(response, 500, { error: { message: (error as Error).message } })
    }
  }

  private async handleApi(resourceType: string, action: 'upload' | 'destroy', request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { fields, file } = await readForm(request)
    const contentRange = request.headers['content-range'] as string | undefined
    const problem = this.signatureProblem(fields)
    const status = problem ? 401 : 200
    this.calls.push({ action, fields, contentRange, status })
    if (problem) return reply(response, 401, { error: { message: problem } })

    const id = `${resourceType}/${fields.type ?? 'upload'}/${fields.public_id}`
    if (action === 'destroy') {
      const existed = this.assets.delete(id)
      return reply(response, 200, { result: existed ? 'ok' : 'not found' })
    }

    const bytes = this.collectChunks(request.headers['x-unique-upload-id'] as string | undefined, contentRange, file)
    if (bytes === null) return reply(response, 200, { done: false })
    this.assets.set(id, { bytes, format: resourceType === 'image' ? formatOf(bytes) : undefined })
    reply(response, 200, { public_id: fields.public_id, version: 1, resource_type: resourceType, type: fields.type ?? 'upload', bytes: bytes.length })
  }

  /** Returns the whole file once its last chunk arrived, else null; a single upload is complete at once. */
  private collectChunks(uploadId: string | undefined, contentRange: string | undefined, file: Buffer): Buffer | null {
    if (!uploadId || !contentRange) return file
    const range = /^bytes (\d+)-(\d+)\/(-?\d+)$/.exec(contentRange)
    if (!range) throw new Error(`malformed Content-Range ${contentRange}`)
    const chunks = this.pendingChunks.get(uploadId) ?? []
    const received = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
    if (Number(range[1]) !== received) throw new Error(`chunk starts at ${range[1]}, expected ${received}`)
    chunks.push(file)
    this.pendingChunks.set(uploadId, chunks)
    if (range[3] === '-1') return null
    this.pendingChunks.delete(uploadId)
    return Buffer.concat(chunks)
  }

  /** Checks the API key, the timestamp and the SHA-1 signature over the sorted parameters. */
  private signatureProblem(fields: Record<string, string>): string | null {
    if (fields.api_key !== this.apiKey) return 'unknown api_key'
    if (Math.abs(Date.now() / 1000 - Number(fields.timestamp)) > 3600) return 'stale or missing timestamp'
    const signed = Object.entries(fields)
      .filter(([name, value]) => !['file', 'api_key', 'signature', 'resource_type', 'cloud_name'].includes(name) && value !== '')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => `${name}=${value}`.replace(/&/g, '%26'))
      .join('&')
    const expected = createHash('sha1').update(signed + this.apiSecret).digest('hex')
    return fields.signature === expected ? null : 'invalid signature'
  }

  private handleDelivery(pathname: string, response: ServerResponse): void {
    const match = new RegExp(`^/${this.cloudName}/(image|raw)/(upload|authenticated)/(?:(s--[^/]+--)/)?(?:v\\d+/)?(.+)$`).exec(pathname)
    if (!match) return reply(response, 404, { error: { message: 'no such asset' } })
    const [, resourceType, type, signature, source] = match as unknown as [string, string, string, string | undefined, string]
    if (type === 'authenticated' && signature !== deliverySignature(source, this.apiSecret)) {
      this.calls.push({ action: 'delivery', fields: { source }, status: 401 })
      return reply(response, 401, { error: { message: 'invalid delivery signature' } })
    }

    const decoded = decodeURIComponent(source)
    const withoutFormat = resourceType === 'image' ? decoded.replace(/\.[a-z]+$/, '') : decoded
    const asset = this.assets.get(`${resourceType}/${type}/${withoutFormat}`)
    this.calls.push({ action: 'delivery', fields: { source }, status: asset ? 200 : 404 })
    if (!asset) return reply(response, 404, { error: { message: 'no such asset' } })
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': asset.bytes.length })
    response.end(asset.bytes)
  }
}

/** Computes the `s--…--` part Cloudinary puts in a signed delivery URL: 8 characters of URL-safe base64 SHA-1. */
function deliverySignature(source: string, secret: string): string {
  const digest = createHash('sha1').update(source + secret).digest('base64').slice(0, 8).replace(/\//g, '_').replace(/\+/g, '-')
  return `s--${digest}--`
}

function formatOf(bytes: Buffer): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpg'
  if (bytes.subarray(1, 4).toString('latin1') === 'PNG') return 'png'
  return undefined
}

async function readForm(request: IncomingMessage): Promise<{ fields: Record<string, string>; file: Buffer }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {}
    const parts: Buffer[] = []
    const parser = busboy({ headers: request.headers })
    parser.on('field', (name, value) => (fields[name] = value))
    parser.on('file', (_name, stream) => stream.on('data', (chunk: Buffer) => parts.push(chunk)))
    parser.on('close', () => resolve({ fields, file: Buffer.concat(parts) }))
    parser.on('error', reject)
    request.pipe(parser)
  })
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}
