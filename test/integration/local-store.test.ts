import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LocalObjectStore } from '../../storage/local'
import { InvalidObjectKeyError, ObjectNotFoundError } from '../../storage/object-store'

describe('LocalObjectStore', () => {
  let root: string
  let store: LocalObjectStore

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'local-store-'))
    store = new LocalObjectStore(root)
  })

  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('writes, reads, lists and deletes objects', async () => {
    await store.put('backups/a/2026/one.dump', Readable.from(['first']))
    await store.put('backups/a/2026/two.dump', Readable.from(['second']))
    await store.put('backups/b/other.dump', Readable.from(['third']))

    const listed = []
    for await (const object of store.list('backups/a/')) listed.push(object.key)

    expect(listed).toEqual(['backups/a/2026/one.dump', 'backups/a/2026/two.dump'])
    expect(await text(await store.get('backups/a/2026/two.dump'))).toBe('second')
    expect((await store.stat('backups/b/other.dump'))?.sizeBytes).toBe(5)

    await store.delete('backups/b/other.dump')
    expect(await store.stat('backups/b/other.dump')).toBeNull()
  })

  it('leaves no object when the body stream fails', async () => {
    const failing = new Readable({
      read() {
        this.push('partial bytes')
        this.destroy(new Error('source broke'))
      },
    })

    await expect(store.put('backups/broken.dump', failing)).rejects.toThrow('source broke')

    expect(await store.stat('backups/broken.dump')).toBeNull()
    expect(await readdir(join(root, 'backups'))).toEqual([])
  })

  it('keeps the old object until a replacement is complete', async () => {
    await store.put('doc.pdf', Readable.from(['version one']))
    const failing = new Readable({
      read() {
        this.destroy(new Error('upload cut off'))
      },
    })

    await expect(store.put('doc.pdf', failing)).rejects.toThrow('upload cut off')

    expect(await text(await store.get('doc.pdf'))).toBe('version one')
  })

  it('sweeps only old half-written files', async () => {
    await store.put('backups/kept.dump', Readable.from(['whole']))
    await mkdir(join(root, 'backups'), { recursive: true })
    await writeFile(join(root, 'backups', 'old.dump.1.partial'), 'cut off')
    await writeFile(join(root, 'backups', 'young.dump.2.partial'), 'still writing')
    const hourAgo = new Date(Date.now() - 3_600_000)
    await utimes(join(root, 'backups', 'old.dump.1.partial'), hourAgo, hourAgo)

    const removed = await store.sweepPartials(60_000)

    expect(removed).toBe(1)
    expect((await readdir(join(root, 'backups'))).sort()).toEqual(['kept.dump', 'young.dump.2.partial'])
  })

  it('pins a file that outlives its object', async () => {
    await store.put('backups/pinned.dump', Readable.from(['version one']))

    const pinned = await store.pinFile('backups/pinned.dump')
    await store.put('backups/pinned.dump', Readable.from(['version two']))
    const listed = []
    for await (const object of store.list('backups/')) listed.push(object.key)
    await store.delete('backups/pinned.dump')

    expect(await readFile(pinned, 'utf8')).toBe('version one')
    expect(listed).toEqual(['backups/pinned.dump'])
    await expect(store.pinFile('backups/pinned.dump')).rejects.toBeInstanceOf(ObjectNotFoundError)
  })

  it('sweeps pinned files by the time in their name', async () => {
    await store.put('backups/old.dump', Readable.from(['bytes']))
    const young = await store.pinFile('backups/old.dump')
    const hourAgo = Date.now() - 3_600_000
    // The link shares the object's mtime, which is recent, so only the name says it is old.
    const old = join(root, 'backups', `old.dump.pin-${hourAgo}-0f1e2d3c-aaaa-bbbb-cccc-000000000000.partial`)
    await link(join(root, 'backups', 'old.dump'), old)

    const removed = await store.sweepPartials(60_000)

    expect(removed).toBe(1)
    expect((await readdir(join(root, 'backups'))).sort()).toEqual(['old.dump', young.split('/').at(-1)].sort())
  })

  it('writes files only its own user can read', async () => {
    await store.put('payroll/march.pdf', Readable.from(['salaries']))

    expect((await stat(join(root, 'payroll', 'march.pdf'))).mode & 0o777).toBe(0o600)
    expect((await stat(join(root, 'payroll'))).mode & 0o777).toBe(0o700)
  })

  it('lists in byte order from a start key', async () => {
    for (const key of ['list/b', 'list/a', 'list/\u00e9', 'list/Z', 'list/\u{1f600}', 'list/\uffe0']) await store.put(key, Readable.from(['x']))

    const all: string[] = []
    for await (const object of store.list('list/')) all.push(object.key)
    const rest: string[] = []
    for await (const object of store.list('list/', { startAfter: 'list/b' })) rest.push(object.key)

    expect(all).toEqual(['list/Z', 'list/a', 'list/b', 'list/\u00e9', 'list/\uffe0', 'list/\u{1f600}'])
    expect(rest).toEqual(['list/\u00e9', 'list/\uffe0', 'list/\u{1f600}'])
  })

  it('rejects keys that escape the root', async () => {
    for (const key of ['../outside', 'a/../../b', '/absolute', 'a\\b', 'a//b', '']) {
      await expect(store.put(key, Readable.from(['x'])), key).rejects.toBeInstanceOf(InvalidObjectKeyError)
    }
  })

  it('reports a missing object', async () => {
    await expect(store.get('absent.dump')).rejects.toBeInstanceOf(ObjectNotFoundError)
  })
})
