import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { backupManifest, type BackupManifest } from '../domain/backup'
import type { ObjectStore } from './object-store'

export async function writeManifest(storage: ObjectStore, key: string, manifest: BackupManifest): Promise<void> {
  await storage.put(key, Readable.from([JSON.stringify(manifest, null, 2)]))
}

/** Reads and validates a manifest; a manifest that fails validation is reported by key. */
export async function readManifest(storage: ObjectStore, key: string): Promise<BackupManifest> {
  const body = await text(await storage.get(key))
  const result = backupManifest.safeParse(JSON.parse(body))
  if (!result.success) throw new Error(`backup manifest ${key} is invalid: ${result.error.message}`)
  return result.data
}

/** Lists every backup manifest under `backups/`, optionally of one database, newest first. */
export async function listManifests(
  storage: ObjectStore,
  database?: string,
): Promise<{ key: string; manifest: BackupManifest }[]> {
  const prefix = database === undefined ? 'backups/' : `backups/${database}/`
  const found: { key: string; manifest: BackupManifest }[] = []

  for await (const object of storage.list(prefix)) {
    if (!object.key.endsWith('.manifest.json')) continue
    found.push({ key: object.key, manifest: await readManifest(storage, object.key) })
  }

  return found.sort((a, b) => b.manifest.startedAt.localeCompare(a.manifest.startedAt))
}
