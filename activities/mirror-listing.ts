import type { ObjectStore, StoredObject } from '../storage/object-store'

// Probe objects the DR run writes and deletes at once; they are not data.
const SKIPPED_PREFIXES = ['dr-probes/']
// S3 returns at most 1,000 keys per ListObjectsV2 request.
const MAX_PAGE_SIZE = 1_000
// Stretches of the key space listed at once, as many as rclone's default checkers.
const LISTING_LANES = 8

/**
 * Moves a UTF-16 code unit to where its character sorts in UTF-8: U+E000 to U+FFFF go below
 * the surrogates, which stand for U+10000 and above.
 */
function byteRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800
  return unit >= 0xd800 ? unit + 0x2000 : unit
}

/** Compares keys in the byte order of their UTF-8, the order every store lists them in. */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let index = 0; index < length; index++) {
    const difference = byteRank(a.charCodeAt(index)) - byteRank(b.charCodeAt(index))
    if (difference !== 0) return difference
  }
  return a.length - b.length
}

function keyAfter(key: string, cursor: string | null): boolean {
  return cursor === null || compareKeys(key, cursor) > 0
}

function isMirrored(key: string, cursor: string | null): boolean {
  return keyAfter(key, cursor) && !SKIPPED_PREFIXES.some((prefix) => key.startsWith(prefix))
}

function listAfter(store: ObjectStore, startAfter: string | null, pageSize: number): AsyncIterator<StoredObject> {
  const options = { pageSize: Math.min(pageSize, MAX_PAGE_SIZE), ...(startAfter === null ? {} : { startAfter }) }
  return store.list('', options)[Symbol.asyncIterator]()
}

/** Lists up to `size` objects after `startAfter`, leaving out DR probe objects. */
export async function listBatch(store: ObjectStore, startAfter: string | null, size: number): Promise<StoredObject[]> {
  return (await readPage(listAfter(store, startAfter, size), { startAfter, through: null }, size)).objects
}

/** The keys after `startAfter` up to and including `through`; a null `through` is open-ended. */
interface KeyRange {
  startAfter: string | null
  through: string | null
}

/**
 * Lists the objects of a key range in pages of up to `pageSize` (at most 1,000), leaving out
 * DR probe objects. The next page is requested as soon as a page is handed out, so the
 * listing goes on while the caller works on the page.
 */
export async function* listPages(store: ObjectStore, startAfter: string | null, pageSize: number, through: string | null = null): AsyncGenerator<StoredObject[]> {
  const size = Math.min(pageSize, MAX_PAGE_SIZE)
  const range = { startAfter, through }
  const objects = listAfter(store, startAfter, size)
  let next = readPage(objects, range, size)

  try {
    for (;;) {
      const page = await next
      if (page.objects.length > 0 && !page.ended) next = readPage(objects, range, size)
      if (page.objects.length > 0) yield page.objects
      if (page.objects.length === 0 || page.ended) return
    }
  } finally {
    // A caller that stops early leaves the page listed ahead unread, so its failure is ignored,
    // and the store's listing is closed.
    next.catch(() => undefined)
    void objects.return?.()?.catch(() => undefined)
  }
}

/**
 * Lists the objects after `startAfter` in key order, split at `boundaries` (ascending keys,
 * such as every 1,000th key in the catalog) into ranges that are listed up to eight at a
 * time. The last range runs to the end of the listing. Without boundaries this is `listPages`.
 */
export async function* listPagesInRanges(store: ObjectStore, startAfter: string | null, boundaries: string[], pageSize: number): AsyncGenerator<StoredObject[]> {
  const ranges: KeyRange[] = [startAfter, ...boundaries].map((after, index) => ({ startAfter: after, through: boundaries[index] ?? null }))
  const lanes = ranges.map((range) => listPages(store, range.startAfter, pageSize, range.through))
  const firstPages: Promise<IteratorResult<StoredObject[]>>[] = []
  const listAhead = (index: number) => {
    if (index >= lanes.length || firstPages[index]) return
    firstPages[index] = lanes[index]!.next()
    firstPages[index]!.catch(() => undefined)
  }

  try {
    for (let index = 0; index < lanes.length; index++) {
      for (let ahead = index; ahead < index + LISTING_LANES; ahead++) listAhead(ahead)
      for (let page = await firstPages[index]!; !page.done; page = await lanes[index]!.next()) yield page.value
    }
  } finally {
    // Ranges listed ahead of a caller that stopped early are closed, which ignores their pages.
    for (const lane of lanes) void lane.return(undefined).catch(() => undefined)
  }
}

async function readPage(objects: AsyncIterator<StoredObject>, range: KeyRange, size: number): Promise<{ objects: StoredObject[]; ended: boolean }> {
  const page: StoredObject[] = []
  while (page.length < size) {
    const item = await objects.next()
    if (item.done) return { objects: page, ended: true }
    const { key } = item.value
    if (range.through !== null && keyAfter(key, range.through)) return { objects: page, ended: true }
    if (isMirrored(key, range.startAfter)) page.push(item.value)
    if (key === range.through) return { objects: page, ended: true }
  }
  return { objects: page, ended: false }
}
