import fc from 'fast-check'
import type { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { compareKeys, listPages, listPagesInRanges } from '../../activities/mirror-listing'
import type { ListOptions, ObjectStore, StoredObject } from '../../storage/object-store'

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

/**
 * Keys held in memory and listed as S3 lists them: in byte order, after `startAfter`, one
 * request of `pageSize` keys at a time. It counts requests and how many listings were open at once.
 */
class PagedKeys implements ObjectStore {
  readonly provider = 'memory'
  readonly listsInRequests = true
  requests = 0
  open = 0
  maxOpen = 0

  constructor(private readonly keys: string[]) {
    this.keys = [...keys].sort(byBytes)
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<StoredObject> {
    this.open++
    this.maxOpen = Math.max(this.maxOpen, this.open)
    try {
      let after = options.startAfter ?? null
      for (;;) {
        this.requests++
        await new Promise((resolve) => setImmediate(resolve))
        const page = this.keys.filter((key) => key.startsWith(prefix) && (after === null || byBytes(key, after) > 0)).slice(0, options.pageSize ?? 1_000)
        for (const key of page) yield { key, sizeBytes: key.length, modifiedAt: new Date(0) }
        if (page.length < (options.pageSize ?? 1_000)) return
        after = page.at(-1)!
      }
    } finally {
      this.open--
    }
  }

  put(): Promise<void> {
    throw new Error('a listing test writes nothing')
  }

  get(): Promise<Readable> {
    throw new Error('a listing test reads nothing')
  }

  async stat(): Promise<StoredObject | null> {
    return null
  }

  async delete(): Promise<void> {}
}

async function keysOf(pages: AsyncIterable<StoredObject[]>): Promise<string[]> {
  const keys: string[] = []
  for await (const page of pages) keys.push(...page.map((object) => object.key))
  return keys
}

describe('listing split into key ranges', () => {
  const stored = Array.from({ length: 50 }, (_, index) => `documents/${String(index).padStart(3, '0')}.pdf`)

  it('lists what one plain listing lists, in the same order', async () => {
    const boundaries = [stored[9]!, stored[19]!, stored[29]!, stored[39]!]

    const ranged = await keysOf(listPagesInRanges(new PagedKeys(stored), null, boundaries, 10))

    expect(ranged).toEqual(await keysOf(listPages(new PagedKeys(stored), null, 10)))
    expect(ranged).toHaveLength(50)
  })

  it('lists current ranges side by side in one request each', async () => {
    const store = new PagedKeys(stored)
    const boundaries = [stored[9]!, stored[19]!, stored[29]!, stored[39]!, stored[49]!]

    await keysOf(listPagesInRanges(store, null, boundaries, 10))

    expect(store.maxOpen).toBeGreaterThanOrEqual(5)
    // Five full ranges of ten, then the open end after the last key, which finds nothing.
    expect(store.requests).toBe(6)
  })

  it('finds added keys and survives removed boundaries', async () => {
    const current = [...stored.filter((_, index) => index !== 9 && index !== 30), 'documents/004a.pdf', 'documents/031a.pdf', 'documents/zz.pdf']

    const ranged = await keysOf(listPagesInRanges(new PagedKeys(current), stored[4]!, [stored[9]!, stored[19]!, stored[29]!], 10))

    expect(ranged).toEqual([...current].sort(byBytes).filter((key) => byBytes(key, stored[4]!) > 0))
  })

  it('stops listing when the caller stops early', async () => {
    const store = new PagedKeys(stored)

    for await (const page of listPagesInRanges(store, null, [stored[9]!, stored[19]!, stored[29]!], 10)) {
      expect(page).toHaveLength(10)
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 10))

    expect(store.open).toBe(0)
  })

  it('orders keys as their UTF-8 bytes do', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(byBytes(a, b)))
      }),
      { numRuns: 2_000 },
    )
  })

  it('agrees with a plain listing for any keys, boundaries and starting key', async () => {
    const key = fc.stringMatching(/^(?:[a-c\u00e9\u4e2d\uff5e/]|\u{1f600}){1,4}$/u)
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key, { maxLength: 40 }), fc.uniqueArray(key, { maxLength: 8 }), fc.option(key), fc.integer({ min: 1, max: 7 }), async (keys, cuts, startAfter, pageSize) => {
        const boundaries = cuts.filter((cut) => startAfter === null || byBytes(cut, startAfter) > 0).sort(byBytes)

        const ranged = await keysOf(listPagesInRanges(new PagedKeys(keys), startAfter, boundaries, pageSize))

        expect(ranged).toEqual(await keysOf(listPages(new PagedKeys(keys), startAfter, pageSize)))
      }),
      { numRuns: 300 },
    )
  })
})
