import { Client, Connection } from '@temporalio/client'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../global-setup'
import { dropDatabase, SERVER_URL, uniqueName } from '../support'
import { withDatabase } from '../../data/db'
import { backupScheduleId } from '../../domain/workflow-ids'
import { temporalAddressForTests } from '../temporal-support'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Resolves with everything written so far once `pattern` appears in the output. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output}`)), timeoutMs)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (pattern.test(output)) {
        clearTimeout(timer)
        resolve(output)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
  })
}

describe('npm start', () => {
  const database = uniqueName('start_db')

  afterAll(async () => {
    const connection = await Connection.connect({ address: temporalAddressForTests() })
    await new Client({ connection }).schedule.getHandle(backupScheduleId(database)).delete().catch(() => undefined)
    await connection.close()
    await dropDatabase(database)
  })

  it('starts the worker and API, prints the URLs and stops on Ctrl-C', async () => {
    const port = await freePort()
    const up = spawn(process.execPath, ['--import', 'tsx', 'scripts/up.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: withDatabase(SERVER_URL, database),
        TEMPORAL_ADDRESS: temporalAddressForTests(),
        TEMPORAL_TASK_QUEUE: uniqueName('start_tq'),
        API_PORT: String(port),
        NEXT_PUBLIC_APP_URL: `http://127.0.0.1:${port}`,
        OPS_API_TOKEN: 'test-ops-token-of-at-least-24-chars',
        BACKUP_SCHEDULE_CRON: '0 3 1 1 *',
      },
    })
    const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)))

    const output = await waitForOutput(up, /Press Ctrl-C/, 90_000)
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
    up.kill('SIGINT')
    const code = await exited
    const afterStop = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null)

    expect(output).toContain(`created database ${database}`)
    expect(output).toContain(`App:          http://127.0.0.1:${port}`)
    expect(output).toContain(`using the Temporal server at ${temporalAddressForTests()}`)
    expect(ready.status).toBe(200)
    expect(code).toBe(0)
    expect(afterStop).toBeNull()
  })
})
