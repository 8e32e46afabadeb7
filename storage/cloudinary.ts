import { v2 as cloudinary, type UploadApiErrorResponse, type UploadApiResponse } from 'cloudinary'
import { get as httpsGet, type Agent } from 'node:https'
import type { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { assertValidKey, ObjectNotFoundError, ProviderUnavailableError } from './object-store'

export interface CloudinaryStoreOptions {
  cloudName: string
  apiKey: string
  apiSecret: string
  /** The upload API's base URL; Cloudinary's is `https://api.cloudinary.com`. */
  uploadPrefix: string
  /** Host (and port) that delivers assets; Cloudinary's is `res.cloudinary.com`. */
  deliveryHost: string
  /** Bytes per upload request; larger files go in several chunks of one upload. */
  chunkSizeBytes: number
  /** TLS agent for the API and delivery hosts, for example one that trusts a private CA. */
  agent?: Agent
  timeoutMs?: number
}

/** `public` assets are Cloudinary's `upload` type; `restricted` ones its `authenticated` type. */
export type MediaAccess = 'public' | 'restricted'

/** One asset's address at Cloudinary, derived from the key and what the file is. */
export interface MediaAsset {
  publicId: string
  resourceType: 'image' | 'raw'
  type: 'upload' | 'authenticated'
  format: string | undefined
}

const PROVIDER = 'cloudinary'

const IMAGE_FORMATS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
}

/**
 * Returns where a key lives at Cloudinary. Images drop their extension from the public id,
 * because Cloudinary keeps the format apart; other files are `raw` assets named by the key.
 */
export function mediaAssetOf(key: string, contentType: string, access: MediaAccess): MediaAsset {
  const format = IMAGE_FORMATS[contentType]
  const type = access === 'public' ? 'upload' : 'authenticated'
  if (!format) return { publicId: key, resourceType: 'raw', type, format: undefined }
  return { publicId: key.replace(/\.[^./]*$/, ''), resourceType: 'image', type, format }
}

/**
 * Branding, photos, certificates and notices at Cloudinary, through the official SDK. Every
 * upload goes through the chunked upload API, so a file of any size streams in chunks of
 * `chunkSizeBytes` and only the last chunk makes the asset appear.
 */
export class CloudinaryMediaStore {
  readonly provider = PROVIDER

  constructor(private readonly options: CloudinaryStoreOptions) {}

  async put(key: string, body: Readable, file: { contentType: string; access: MediaAccess }): Promise<MediaAsset> {
    assertValidKey(key)
    const asset = mediaAssetOf(key, file.contentType, file.access)
    let bodyError: unknown = null

    const uploaded = new Promise<UploadApiResponse>((resolve, reject) => {
      const upload = cloudinary.uploader.upload_chunked_stream(
        { ...this.sdkOptions(), ...assetOptions(asset), chunk_size: this.options.chunkSizeBytes, overwrite: true },
        (error?: UploadApiErrorResponse, result?: UploadApiResponse) => (result && !error ? resolve(result) : reject(error ?? new Error('empty upload response'))),
      )
      pipeline(body, upload).catch((error: unknown) => {
        bodyError = error
        reject(error as Error)
      })
    })

    try {
      await uploaded
      return asset
    } catch (error) {
      if (bodyError) throw bodyError
      throw new ProviderUnavailableError(PROVIDER, { cause: toError(error) })
    }
  }

  /** Returns the URL anyone may open for a public asset. */
  publicUrl(asset: MediaAsset): string {
    return cloudinary.url(asset.publicId, { ...this.deliveryOptions(asset), sign_url: false })
  }

  /** Streams a restricted asset through its signed delivery URL, for the API's checked proxy. */
  async open(asset: MediaAsset): Promise<Readable> {
    const url = cloudinary.url(asset.publicId, { ...this.deliveryOptions(asset), sign_url: true })
    let response: IncomingMessage
    try {
      response = await new Promise<IncomingMessage>((resolve, reject) => {
        httpsGet(url, { agent: this.options.agent, timeout: this.options.timeoutMs ?? 30_000 }, resolve).on('error', reject)
      })
    } catch (error) {
      throw new ProviderUnavailableError(PROVIDER, { cause: error })
    }
    if (response.statusCode === 404) {
      response.resume()
      throw new ObjectNotFoundError(asset.publicId)
    }
    if (response.statusCode !== 200) {
      response.resume()
      throw new ProviderUnavailableError(PROVIDER, { cause: new Error(`delivery returned HTTP ${response.statusCode}`) })
    }
    return response
  }

  /** Deletes an asset; deleting one that is absent succeeds. */
  async delete(asset: MediaAsset): Promise<void> {
    const outcome = await new Promise<{ result?: string }>((resolve, reject) => {
      void cloudinary.uploader.destroy(
        asset.publicId,
        { ...this.sdkOptions(), resource_type: asset.resourceType, type: asset.type, invalidate: true },
        (error?: UploadApiErrorResponse, result?: { result?: string }) => (error ? reject(error) : resolve(result ?? {})),
      )
    }).catch((error: unknown) => Promise.reject(new ProviderUnavailableError(PROVIDER, { cause: toError(error) })))
    if (outcome.result !== 'ok' && outcome.result !== 'not found') {
      throw new ProviderUnavailableError(PROVIDER, { cause: new Error(`destroy returned "${outcome.result}"`) })
    }
  }

  private sdkOptions() {
    return {
      cloud_name: this.options.cloudName,
      api_key: this.options.apiKey,
      api_secret: this.options.apiSecret,
      upload_prefix: this.options.uploadPrefix,
      agent: this.options.agent,
      timeout: this.options.timeoutMs ?? 60_000,
      // Callbacks report errors; the SDK's own promise would otherwise reject unobserved.
      disable_promises: true,
    }
  }

  private deliveryOptions(asset: MediaAsset) {
    return {
      cloud_name: this.options.cloudName,
      api_secret: this.options.apiSecret,
      secure: true,
      secure_distribution: this.options.deliveryHost,
      resource_type: asset.resourceType,
      type: asset.type,
      format: asset.format,
    }
  }
}

function assetOptions(asset: MediaAsset) {
  return { public_id: asset.publicId, resource_type: asset.resourceType, type: asset.type }
}

function toError(error: unknown): Error {
  if (error instanceof Error) return error
  const detail = error as { message?: string; http_code?: number } | undefined
  return new Error(`${detail?.message ?? 'unknown error'}${detail?.http_code ? ` (HTTP ${detail.http_code})` : ''}`)
}
