import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import type { ObjectStore } from '../storage/object-store'

const CATEGORIES = ['payroll', 'financial', 'sensitive', 'academic', 'certificates']
const UPLOAD_PARALLELISM = 16

/** A deterministic generator (mulberry32), so every run draws the same keys and sizes. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** Sizes of private documents spread log-uniformly between the bounds, like scans and PDFs. */
export interface SizeRange {
  minBytes: number
  maxBytes: number
}

/**
 * The primary bucket's objects as the benchmark wrote them: key, size and SHA-256 of the
 * current content, so a mirror can be checked against it.
 */
export class BenchObjectSet {
  private readonly random: () => number
  private readonly objects = new Map<string, { sizeBytes: number; sha256: string }>()
  // Keys in a shuffled order. Each change round takes the next ones, so no key changes twice.
  private changeOrder: string[] = []

  constructor(
    private readonly primary: ObjectStore,
    private readonly sizes: SizeRange,
    seed = 20261204,
  ) {
    this.random = seededRandom(seed)
  }

  get count(): number {
    return this.objects.size
  }

  get totalBytes(): number {
    let total = 0
    for (const object of this.objects.values()) total += object.sizeBytes
    return total
  }

  /** Uploads `count` objects of random content under documents/<category>/<year>/<month>/. */
  async seed(count: number, onProgress: (done: number) => void): Promise<void> {
    const keys = Array.from({ length: count }, (_, index) => this.keyFor(index))
    await this.writeAll(keys, onProgress)
    this.changeOrder = this.shuffled(keys)
  }

  /**
   * Rewrites the next `count` objects of the shuffled order with new content of a new random
   * size, and returns their keys and the bytes now stored under them.
   */
  async change(count: number): Promise<{ keys: string[]; bytes: number }> {
    if (count > this.changeOrder.length) throw new Error(`only ${this.changeOrder.length} unchanged objects are left to change, not ${count}`)
    const keys = this.changeOrder.splice(0, count)
    await this.writeAll(keys, () => {})
    const bytes = keys.reduce((sum, key) => sum + (this.objects.get(key)?.sizeBytes ?? 0), 0)
    return { keys, bytes }
  }

  /** Returns the keys that `copy` lacks or lists with another size than the primary's, from one listing. */
  async findMissingOrResized(copy: ObjectStore): Promise<string[]> {
    const listed = new Map<string, number>()
    for await (const object of copy.list('')) listed.set(object.key, object.sizeBytes)
    return [...this.objects.entries()].filter(([key, object]) => listed.get(key) !== object.sizeBytes).map(([key]) => key)
  }

  /** Returns the keys whose copy in `mirror` is missing or has other content than the primary's. */
  async findStaleCopies(mirror: ObjectStore, keys: string[]): Promise<string[]> {
    const stale: string[] = []
    for (const key of keys) {
      const expected = this.objects.get(key)?.sha256
      const copy = await mirror.stat(key)
      if (!copy || (await sha256Of(mirror, key)) !== expected) stale.push(key)
    }
    return stale
  }

  private keyFor(index: number): string {
    const category = CATEGORIES[index % CATEGORIES.length]
    const year = 2025 + (Math.floor(index / CATEGORIES.length) % 2)
    const month = String(1 + (Math.floor(index / (CATEGORIES.length * 2)) % 12)).padStart(2, '0')
    return `documents/${category}/${year}/${month}/document-${String(index).padStart(6, '0')}.pdf`
  }

  private drawSize(): number {
    const { minBytes, maxBytes } = this.sizes
    return Math.round(minBytes * (maxBytes / minBytes) ** this.random())
  }

  private shuffled(keys: string[]): string[] {
    const order = [...keys]
    for (let index = order.length - 1; index > 0; index--) {
      const other = Math.floor(this.random() * (index + 1))
      ;[order[index], order[other]] = [order[other]!, order[index]!]
    }
    return order
  }

  private async writeAll(keys: string[], onProgress: (done: number) => void): Promise<void> {
    // Sizes are drawn here, in key order, before any upload, so they do not depend on timing.
    const planned = keys.map((key) => ({ key, sizeBytes: this.drawSize() }))
    let next = 0
    let done = 0
    const uploader = async () => {
      while (next < planned.length) {
        const { key, sizeBytes } = planned[next++]!
        const body = randomBytes(sizeBytes)
        await this.primary.put(key, Readable.from([body]))
        this.objects.set(key, { sizeBytes, sha256: createHash('sha256').update(body).digest('hex') })
        onProgress(++done)
      }
    }
    await Promise.all(Array.from({ length: UPLOAD_PARALLELISM }, uploader))
  }
}

async function sha256Of(store: ObjectStore, key: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of await store.get(key)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
