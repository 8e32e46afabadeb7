import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** Grant of a signed link to a local file: reading one key until a time. */
export interface LocalLink {
  key: string
  /** Unix seconds after which the link is rejected. */
  expires: number
  fileName: string
  contentType: string
}

/** Thrown when a local link's signature does not match or the link has expired. */
export class InvalidLinkError extends Error {
  constructor(reason: string) {
    super(`invalid download link: ${reason}`)
    this.name = 'InvalidLinkError'
  }
}

/**
 * Signs and checks the API's own download links for files in the local store, which has no
 * signing of its own: HMAC-SHA256 over the key, expiry, file name and content type.
 */
export class LocalLinkSigner {
  private readonly secret: Buffer

  /** Without a secret, one is generated per process, so links work only on the process that issued them. */
  constructor(secret: string | null, private readonly baseUrl: string) {
    this.secret = secret ? Buffer.from(secret, 'utf8') : randomBytes(32)
  }

  /** Returns an absolute URL of the `/files/local` route that grants the link. */
  sign(link: LocalLink): string {
    const url = new URL('/files/local', this.baseUrl)
    url.searchParams.set('key', link.key)
    url.searchParams.set('expires', String(link.expires))
    url.searchParams.set('name', link.fileName)
    url.searchParams.set('type', link.contentType)
    url.searchParams.set('signature', this.signatureOf(link))
    return url.toString()
  }

  /** Throws InvalidLinkError unless the signature matches and the link has not expired. */
  verify(link: LocalLink, signature: string, now = Date.now()): void {
    const expected = Buffer.from(this.signatureOf(link), 'hex')
    const given = Buffer.from(signature, 'hex')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidLinkError('signature does not match')
    if (link.expires * 1000 < now) throw new InvalidLinkError(`expired at ${new Date(link.expires * 1000).toISOString()}`)
  }

  private signatureOf(link: LocalLink): string {
    const payload = [link.key, link.expires, link.fileName, link.contentType].join('\n')
    return createHmac('sha256', this.secret).update(payload).digest('hex')
  }
}
