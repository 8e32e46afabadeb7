import type { Readable } from 'node:stream'
import { CLASSIFICATION, isMediaCategory, type Destination, type DocumentCategory, type StorageProvider } from '../domain/documents'
import { signedUrlSeconds } from '../domain/storage-keys'
import { mediaAssetOf, type CloudinaryMediaStore, type MediaAsset } from './cloudinary'
import type { LocalLinkSigner } from './local-links'
import { ProviderUnavailableError, type ObjectStore } from './object-store'

/** A document's file as its row records it: the provider and key it was written to. */
export interface StoredFile {
  provider: StorageProvider
  key: string
  contentType: string
  category: DocumentCategory
  fileName: string
}

export interface DocumentStorageOptions {
  local: ObjectStore
  /** Null when S3 is not configured; writing or reading there is then a 503. */
  s3: ObjectStore | null
  cloudinary: CloudinaryMediaStore | null
  localLinks: LocalLinkSigner
  signedUrlMinutes: number
  /** When the S3 signing credentials expire, if they are temporary. */
  credentialsExpireAt: Date | null
}

/** A link to hand to the browser: where it points and when it stops working (null: never). */
export interface DownloadLink {
  url: string
  expiresAt: Date | null
}

/**
 * Access to every document file. Writes go to a Destination's provider, and reads go to the
 * provider the row recorded, so files written before a provider switch stay readable.
 */
export class DocumentStorage {
  constructor(private readonly options: DocumentStorageOptions) {}

  /**
   * Writes the body and returns the key it lives under at the destination's provider.
   * `retainUntil` locks the file on an S3 bucket with object lock enabled.
   */
  async write(destination: Destination, key: string, body: Readable, contentType: string, retainUntil?: Date): Promise<string> {
    if (destination.provider === 'cloudinary') {
      // The Destination type already forbids it; this guards callers that cast.
      if (!isMediaCategory(destination.category)) throw new Error(`${destination.category} files may not be written to Cloudinary`)
      const asset = await this.cloudinary().put(key, body, { contentType, access: destination.access })
      return asset.publicId
    }
    await this.objectStore(destination.provider).put(key, body, { contentType, retainUntil })
    return key
  }

  /** Opens the file for streaming through the API. */
  async open(file: StoredFile): Promise<Readable> {
    if (file.provider === 'cloudinary') return this.cloudinary().open(this.assetOf(file))
    return this.objectStore(file.provider).get(file.key)
  }

  /**
   * Returns a link for the browser: the public URL of a public Cloudinary asset, else a signed
   * URL whose lifetime is capped by `signedUrlSeconds`. Restricted Cloudinary assets get
   * none: they are only streamed through the API.
   */
  async link(file: StoredFile, now = new Date()): Promise<DownloadLink | null> {
    if (file.provider === 'cloudinary') {
      const asset = this.assetOf(file)
      return asset.type === 'upload' ? { url: this.cloudinary().publicUrl(asset), expiresAt: null } : null
    }

    const seconds = signedUrlSeconds({ minutes: this.options.signedUrlMinutes, credentialsExpireAt: file.provider === 's3' ? this.options.credentialsExpireAt : null, now })
    const expiresAt = new Date(now.getTime() + seconds * 1000)
    if (file.provider === 'local') {
      const url = this.options.localLinks.sign({ key: file.key, expires: Math.floor(expiresAt.getTime() / 1000), fileName: file.fileName, contentType: file.contentType })
      return { url, expiresAt }
    }
    const store = this.objectStore('s3')
    const url = await store.signedUrl!(file.key, { expiresInSeconds: seconds, fileName: file.fileName, contentType: file.contentType })
    return { url, expiresAt }
  }

  async remove(file: StoredFile): Promise<void> {
    if (file.provider === 'cloudinary') return this.cloudinary().delete(this.assetOf(file))
    return this.objectStore(file.provider).delete(file.key)
  }

  /** The local store, for the signed-link route. */
  get localStore(): ObjectStore {
    return this.options.local
  }

  get localLinks(): LocalLinkSigner {
    return this.options.localLinks
  }

  private assetOf(file: StoredFile): MediaAsset {
    const access = CLASSIFICATION[file.category].access === 'restricted' ? 'restricted' : 'public'
    const asset = mediaAssetOf(file.key, file.contentType, access)
    // The row stores the public id itself, which for images has no extension left to drop.
    return { ...asset, publicId: file.key }
  }

  private cloudinary(): CloudinaryMediaStore {
    if (!this.options.cloudinary) throw new ProviderUnavailableError('cloudinary', { cause: new Error('CLOUDINARY_CLOUD_NAME and its credentials are not configured') })
    return this.options.cloudinary
  }

  private objectStore(provider: 'local' | 's3'): ObjectStore {
    if (provider === 'local') return this.options.local
    if (!this.options.s3) throw new ProviderUnavailableError('s3', { cause: new Error('S3_BUCKET and its credentials are not configured') })
    return this.options.s3
  }
}
