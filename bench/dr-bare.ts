import { spawn } from 'node:child_process'
import { libpqEnvironment } from '../activities/postgres-tools'

function run(tool: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'ignore', 'inherit'] })
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${tool} exited with status ${code}`))))
  })
}

/**
 * Times the plain tools restoring a custom-format dump: createdb, then pg_restore -j2 without
 * owners and grants, as our restore runs it. Returns milliseconds.
 */
export async function timeBareRestore(serverUrl: string, database: string, dumpFile: string): Promise<number> {
  const env = libpqEnvironment(serverUrl, 'postgres')
  const started = performance.now()
  await run('createdb', [database], env)
  await run('pg_restore', ['-j', '2', '--no-owner', '--no-acl', '-d', database, dumpFile], env)
  return performance.now() - started
}
