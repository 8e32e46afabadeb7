import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { assertValidKey, ObjectNotFoundError, type ListOptions, type ObjectStore, type StoredObject } from './object-store'

// Files being written carry this suffix until renamed into place; listings skip them.
const PARTIAL_SUFFIX = '.partial'
// Pinned links carry this mark and their creation time in ms, because they share the object's mtime.
const PIN_MARK = '.pin-'

/** Stores objects as files under a root folder; keys map to relative paths. */
export class LocalObjectStore implements ObjectStore {
  readonly provider = 'local'
  private readonly root: string

  constructor(root: string) {
    this.root = resolve(root)
  }

  async put(key: string, body: Readable): Promise<void> {
    const path = this.pathOf(key)
    const partialPath = `${path}.${randomUUID()}${PARTIAL_SUFFIX}`
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })

    try {
      // Private storage: only the service's own user may read what it writes.
      await pipeline(body, createWriteStream(partialPath, { flags: 'wx', mode: 0o600 }))
      await rename(partialPath, path)
    } catch (error) {
      await rm(partialPath, { force: true })
      throw error
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key)
    const stream = createReadStream(path)

    // Wait for the open so a missing file rejects here instead of erroring later mid-pipe.
    await new Promise<void>((resolveOpen, rejectOpen) => {
      stream.once('open', () => resolveOpen())
      stream.once('error', (error: NodeJS.ErrnoException) =>
        rejectOpen(error.code === 'ENOENT' ? new ObjectNotFoundError(key) : error),
      )
    })
    return stream
  }

  /**
   * Hard-links the object's file to a name beside it that listings skip, so the link is on
   * the same file system and costs no copy. A link that a crash leaves behind is removed by
   * sweepPartials like a half-written file, aged from the time in its name.
   */
  async pinFile(key: string): Promise<string> {
    const path = this.pathOf(key)
    const pinned = `${path}${PIN_MARK}${Date.now()}-${randomUUID()}${PARTIAL_SUFFIX}`
    try {
      await link(path, pinned)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key)
      throw error
    }
    return pinned
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const info = await stat(this.pathOf(key))
      return info.isFile() ? { key, sizeBytes: info.size, modifiedAt: info.mtime } : null
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<StoredObject> {
    // Walk only the folder the prefix names; the part after its last slash filters names.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : ''
    const start = folder === '' ? this.root : this.pathOf(folder)
    const keys: string[] = []
    await this.collectKeys(start, keys)
    // Byte order of UTF-8, as S3 lists, so a listing can go on from a key on either store.
    keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    const after = options.startAfter === undefined ? null : Buffer.from(options.startAfter)

    for (const key of keys) {
      if (!key.startsWith(prefix)) continue
      if (after && Buffer.compare(Buffer.from(key), after) <= 0) continue
      const object = await this.stat(key)
      if (object) yield object
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true })
  }

  /**
   * Removes half-written files older than `maxAgeMs`, which a process killed mid-write leaves
   * behind, and returns how many it removed. Younger ones may belong to a write in progress.
   */
  async sweepPartials(maxAgeMs: number, now = Date.now()): Promise<number> {
    const partials: string[] = []
    await this.collectPartials(this.root, partials)
    let removed = 0

    for (const path of partials) {
      const info = await stat(path).catch(() => null)
      if (info && now - (pinnedAt(path) ?? info.mtimeMs) > maxAgeMs) {
        await rm(path, { force: true })
        removed++
      }
    }
    return removed
  }

  private async collectPartials(dir: string, found: string[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await this.collectPartials(path, found)
      else if (entry.name.endsWith(PARTIAL_SUFFIX)) found.push(path)
    }
  }

  private pathOf(key: string): string {
    assertValidKey(key)
    const path = join(this.root, ...key.split('/'))
    if (!path.startsWith(this.root + sep)) throw new Error(`key ${key} resolves outside the store root`)
    return path
  }

  // NOTE: collects and sorts every key under the folder in memory; the document mirror at
  // 100,000 objects may want a streaming walk instead.
  private async collectKeys(dir: string, keys: string[]): Promise<void> {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }

    for (const entry of entries) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await this.collectKeys(path, keys)
      else if (entry.isFile() && !entry.name.endsWith(PARTIAL_SUFFIX)) {
        keys.push(relative(this.root, path).split(sep).join('/'))
      }
    }
  }
}

/** Returns the creation time in ms that a pinned link's name carries, or null for other files. */
function pinnedAt(path: string): number | null {
  const match = /\.pin-(\d+)-[0-9a-f-]+\.partial$/.exec(path)
  return match ? Number(match[1]) : null
}
