import type { Config } from '../config'
import { CloudinaryMediaStore } from './cloudinary'
import { DocumentStorage } from './document-storage'
import { LocalObjectStore } from './local'
import { LocalLinkSigner } from './local-links'
import type { ObjectStore } from './object-store'
import { S3ObjectStore } from './s3'

/** Opens the private object store the configuration selects, where backups go. */
export function openPrivateStore(config: Config): ObjectStore {
  switch (config.storage.privateProvider) {
    case 'local':
      return new LocalObjectStore(config.storage.localRoot)
    case 's3':
      return openS3Store(config)!
  }
}

/** Opens the mirror of private storage, or returns null when MIRROR_PROVIDER is off. */
export function openMirrorStore(config: Config): ObjectStore | null {
  const { mirror } = config
  if (!mirror) return null
  if (mirror.provider === 'local') return new LocalObjectStore(mirror.localRoot)
  const s3 = config.storage.s3
  // loadConfig rejects MIRROR_PROVIDER=s3 without a bucket and the S3_* settings.
  return s3 && mirror.s3Bucket ? new S3ObjectStore({ ...s3, bucket: mirror.s3Bucket }) : null
}

/** Opens the S3 store, or returns null when S3 is not configured. */
export function openS3Store(config: Config): S3ObjectStore | null {
  const s3 = config.storage.s3
  return s3 ? new S3ObjectStore(s3) : null
}

/** Opens every configured provider for document files. */
export function openDocumentStorage(config: Config): DocumentStorage {
  const { storage } = config
  return new DocumentStorage({
    local: new LocalObjectStore(storage.localRoot),
    s3: openS3Store(config),
    cloudinary: storage.cloudinary ? new CloudinaryMediaStore(storage.cloudinary) : null,
    localLinks: new LocalLinkSigner(storage.linkSecret, config.api.publicUrl),
    signedUrlMinutes: storage.signedUrlMinutes,
    credentialsExpireAt: storage.s3?.credentialsExpireAt ?? null,
  })
}
