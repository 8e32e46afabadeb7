import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { backupManifest, type BackupManifest } from '../domain/backup'
import type { ObjectStore } from './object-store'

/** Thrown when a manifest in storage is not valid JSON or does not match the schema. */
export class InvalidManifestError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`backup manifest ${key} is unreadable: ${reason}`)
    this.name = 'InvalidManifestError'
  }
}

export async function writeManifest(storage: ObjectStore, key: string, manifest: BackupManifest): Promise<void> {
  await storage.put(key, Readable.from([JSON.stringify(manifest, null, 2)]))
}

/** Reads and validates a manifest; a damaged one raises InvalidManifestError naming its key. */
export async function readManifest(storage: ObjectStore, key: string): Promise<BackupManifest> {
  const body = await text(await storage.get(key))
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (error) {
    throw new InvalidManifestError(key, `not JSON (${(error as Error).message})`)
  }
  const result = backupManifest.safeParse(parsed)
  if (!result.success) throw new InvalidManifestError(key, result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '))
  return result.data
}

export interface ManifestListing {
  manifests: { key: string; manifest: BackupManifest }[]
  /** Manifests that could not be read, so one damaged file does not hide the others. */
  unreadable: { key: string; reason: string }[]
}

/** Lists every backup manifest under `backups/`, optionally of one database, newest first. */
export async function listManifestsWithProblems(storage: ObjectStore, database?: string): Promise<ManifestListing> {
  const prefix = database === undefined ? 'backups/' : `backups/${database}/`
  const listing: ManifestListing = { manifests: [], unreadable: [] }

  for await (const object of storage.list(prefix)) {
    if (!object.key.endsWith('.manifest.json')) continue
    try {
      listing.manifests.push({ key: object.key, manifest: await readManifest(storage, object.key) })
    } catch (error) {
      if (!(error instanceof InvalidManifestError)) throw error
      listing.unreadable.push({ key: object.key, reason: error.message })
    }
  }

  listing.manifests.sort((a, b) => b.manifest.startedAt.localeCompare(a.manifest.startedAt))
  return listing
}

/** Lists the readable manifests, newest first; see listManifestsWithProblems for the rest. */
export async function listManifests(storage: ObjectStore, database?: string): Promise<{ key: string; manifest: BackupManifest }[]> {
  return (await listManifestsWithProblems(storage, database)).manifests
}
