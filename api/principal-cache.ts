import type { UserAccount } from '../data/accounts'
import type { Sql } from '../data/db'
import type { Logger } from '../observability/logger'

/** The PostgreSQL notification channel that migration 0030's triggers send to. */
export const AUTH_CHANGES_CHANNEL = 'auth_changes'

interface CachedAccount {
  account: UserAccount
  expiresAt: number
}

/**
 * Remembers which user a token or session hash belongs to, so a request needs no lookup query.
 * Entries live at most `ttlMs` (and never past a session's end), and every change to users,
 * tokens or sessions clears the whole cache through `listenForAuthChanges`.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, CachedAccount>()
  /** Count of clears. A lookup that started before a clear must not store its stale result. */
  private generationCount = 0

  constructor(
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, now = Date.now()): UserAccount | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt > now) return entry.account
    this.entries.delete(key)
    return undefined
  }

  get generation(): number {
    return this.generationCount
  }

  /** Stores a lookup's result unless the cache was cleared since `generation` was read. */
  set(key: string, account: UserAccount, generation: number, endsAt = Infinity, now = Date.now()): void {
    if (generation !== this.generationCount) return
    // A full cache starts over rather than tracking recency; lookups then refill it.
    if (this.entries.size >= this.maxEntries) this.entries.clear()
    this.entries.set(key, { account, expiresAt: Math.min(now + this.ttlMs, endsAt) })
  }

  clear(): void {
    this.generationCount++
    this.entries.clear()
  }

  get size(): number {
    return this.entries.size
  }
}

/**
 * Subscribes to auth changes and returns a cache that they clear. The cache is also cleared
 * each time the listening connection (re)connects, because notifications sent while it was
 * down are lost. Returns the cache and a function that stops listening.
 */
export async function listenForAuthChanges(sql: Sql, logger: Logger): Promise<{ cache: PrincipalCache; stop: () => Promise<void> }> {
  const cache = new PrincipalCache()
  const subscription = await sql.listen(
    AUTH_CHANGES_CHANNEL,
    () => cache.clear(),
    () => {
      cache.clear()
      logger.info({ channel: AUTH_CHANGES_CHANNEL }, 'listening for changes to users, tokens and sessions')
    },
  )
  return { cache, stop: () => subscription.unlisten() }
}
