import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const DEBIAN_POSTGRES = '/usr/lib/postgresql'

/**
 * A PostgreSQL cluster of one test, in a temporary folder on its own loopback port, so the test
 * can restart it without touching the machine's shared server.
 */
export interface ThrowawayPostgres {
  url: string
  restart(): Promise<void>
  stop(): Promise<void>
}

/** Finds the newest installed server's `bin` folder (Debian's postgresql-NN package). */
function serverBinaries(): string | null {
  if (!existsSync(DEBIAN_POSTGRES)) return null
  const versions = readdirSync(DEBIAN_POSTGRES).filter((name) => existsSync(join(DEBIAN_POSTGRES, name, 'bin', 'initdb')))
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0]
  return newest ? join(DEBIAN_POSTGRES, newest, 'bin') : null
}

/**
 * Starts a throwaway cluster with trust authentication, or returns why it cannot. PostgreSQL
 * refuses to run as root, so under root the cluster runs as the `postgres` user via runuser.
 */
export async function startThrowawayPostgres(port: number): Promise<ThrowawayPostgres | { skipped: string }> {
  const bin = serverBinaries()
  if (!bin) return { skipped: `no PostgreSQL server binaries under ${DEBIAN_POSTGRES}; install Debian's postgresql package` }
  const asRoot = userInfo().uid === 0
  if (asRoot && !existsSync('/usr/sbin/runuser')) return { skipped: 'running as root without runuser, and PostgreSQL does not run as root' }

  const folder = await mkdtemp(join(tmpdir(), 'throwaway-postgres-'))
  const data = join(folder, 'data')
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => ({ stdout: '' }))
    const { stdout: group } = await run('id', ['-g', 'postgres']).catch(() => ({ stdout: '' }))
    if (!stdout.trim()) return { skipped: 'running as root and there is no postgres user to run the cluster as' }
    await chown(folder, Number(stdout), Number(group))
  }
  const tool = (name: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, name), ...args]) : run(join(bin, name), args))
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off`
  const start = () => tool('pg_ctl', ['-D', data, '-o', options, '-l', join(folder, 'server.log'), '-w', '-t', '60', 'start'])

  await tool('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  await start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: async () => {
      await tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'])
      await start()
    },
    stop: async () => {
      await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined)
      await rm(folder, { recursive: true, force: true })
    },
  }
}
