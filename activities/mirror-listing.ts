import type { ObjectStore, StoredObject } from '../storage/object-store'

// Probe objects the DR run writes and deletes at once; they are not data.
const SKIPPED_PREFIXES = ['dr-probes/']
// S3 returns at most 1,000 keys per ListObjectsV2 request.
const MAX_PAGE_SIZE = 1_000

/** Compares keys byte by byte, the order every store lists them in. */
function keyAfter(key: string, cursor: string | null): boolean {
  return cursor === null || Buffer.compare(Buffer.from(key), Buffer.from(cursor)) > 0
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
  return (await readPage(listAfter(store, startAfter, size), startAfter, size)).objects
}

// TODO: list folders side by side, as rclone does, because a quiet machine spends a no-change
// mirror run mostly waiting on these pages one after another (see docs/benchmarks.md).
/**
 * Lists the objects after `startAfter` in pages of up to `pageSize` (at most 1,000), leaving
 * out DR probe objects. The next page is requested as soon as a page is handed out, so the
 * listing goes on while the caller works on the page.
 */
export async function* listPages(store: ObjectStore, startAfter: string | null, pageSize: number): AsyncGenerator<StoredObject[]> {
  const size = Math.min(pageSize, MAX_PAGE_SIZE)
  const objects = listAfter(store, startAfter, size)
  let next = readPage(objects, startAfter, size)

  try {
    for (;;) {
      const page = await next
      if (page.objects.length > 0 && !page.ended) next = readPage(objects, startAfter, size)
      if (page.objects.length > 0) yield page.objects
      if (page.objects.length === 0 || page.ended) return
    }
  } finally {
    // A caller that stops early leaves the page listed ahead unread, so its failure is ignored.
    next.catch(() => undefined)
  }
}

async function readPage(objects: AsyncIterator<StoredObject>, startAfter: string | null, size: number): Promise<{ objects: StoredObject[]; ended: boolean }> {
  const page: StoredObject[] = []
  while (page.length < size) {
    const item = await objects.next()
    if (item.done) return { objects: page, ended: true }
    if (isMirrored(item.value.key, startAfter)) page.push(item.value)
  }
  return { objects: page, ended: false }
}
