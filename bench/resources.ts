import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectDatabase, withDatabase, type Sql } from '../data/db'

/**
 * Tracks every database and folder one benchmark run creates, so `cleanup` can remove all of
 * them whether the run finished, failed or was interrupted. Database names share a random
 * `bench_<hex>` prefix, so a run never touches a database it did not create.
 */
export class BenchResources {
  readonly prefix = `bench_${randomBytes(5).toString('hex')}`
  readonly admin: Sql
  private readonly databases = new Set<string>()
  private root: string | undefined

  constructor(readonly serverUrl: string) {
    this.admin = connectDatabase(withDatabase(serverUrl, 'postgres'), {
      max: 1,
      applicationName: 'school-ops-bench',
    })
  }

  /** Folder for dumps and for the temp files of child processes, removed by `cleanup`. */
  async tempRoot(): Promise<string> {
    this.root ??= await mkdtemp(join(tmpdir(), `${this.prefix}-`))
    return this.root
  }

  async tempDir(name: string): Promise<string> {
    const dir = join(await this.tempRoot(), name)
    await mkdir(dir, { recursive: true })
    return dir
  }

  /** Returns a prefixed database name that `cleanup` will drop, without creating the database. */
  databaseName(suffix: string): string {
    const name = `${this.prefix}_${suffix}`
    this.databases.add(name)
    return name
  }

  async createDatabase(suffix: string): Promise<string> {
    const name = this.databaseName(suffix)
    await this.admin`CREATE DATABASE ${this.admin(name)}`
    return name
  }

  async dropDatabase(name: string): Promise<void> {
    await this.admin`DROP DATABASE IF EXISTS ${this.admin(name)} WITH (FORCE)`
    this.databases.delete(name)
  }

  /**
   * Writes out what the previous measurement left dirty, in shared buffers (CHECKPOINT) and in
   * the kernel's page cache (sync), so the next measurement does not pay for it. Returns how
   * many sessions of other users are running a query on the server, which skews the timing.
   */
  async settle(): Promise<number> {
    await this.admin`CHECKPOINT`
    const sync = spawnSync('sync', { stdio: 'ignore' })
    if (sync.status !== 0)
      throw new Error(`sync failed with ${sync.error?.message ?? `exit status ${sync.status}`}`)

    const [foreign] = await this.admin<{ sessions: number }[]>`
      SELECT count(*)::int AS sessions FROM pg_stat_activity
       WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()
         AND datname NOT LIKE ${`${this.prefix}\_%`}`
    return foreign?.sessions ?? 0
  }

  /** Drops every database and removes the temp folder. A failed drop is printed and the rest go on. */
  async cleanup(): Promise<void> {
    for (const name of [...this.databases]) {
      try {
        await this.dropDatabase(name)
      } catch (error) {
        console.error(`cleanup: failed to drop database ${name}; drop it by hand: ${String(error)}`)
      }
    }
    await this.admin.end()
    if (this.root !== undefined) await rm(this.root, { recursive: true, force: true })
  }
}
