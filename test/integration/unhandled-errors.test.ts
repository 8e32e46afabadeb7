import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSentryReceiver, waitFor } from '../monitoring-support'

const CHILD = fileURLToPath(new URL('../unhandled-error-child.ts', import.meta.url))

/** Runs the child until it exits and returns its exit code and stdout lines. */
function runChild(env: Record<string, string>): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, lines: stdout.split('\n').filter((line) => line !== '') }))
  })
}

describe('unhandled errors', () => {
  let sentry: Awaited<ReturnType<typeof startSentryReceiver>>

  beforeAll(async () => {
    sentry = await startSentryReceiver()
  })

  afterAll(async () => {
    await sentry?.close()
  })

  for (const mode of ['exception', 'rejection'] as const) {
    it(`reports an unhandled ${mode} and exits 1`, async () => {
      const mechanism = mode === 'exception' ? 'uncaughtException' : 'unhandledRejection'

      const { code, lines } = await runChild({ SENTRY_DSN: sentry.dsn, UNHANDLED_MODE: mode })
      const received = await waitFor(() => sentry.events.find((event) => event.event.tags?.mechanism === mechanism), `the ${mode} event`)
      const fatal = lines.map((line) => JSON.parse(line) as { level: number; msg: string; mechanism?: string }).find((line) => line.msg === 'unhandled error, exiting')

      expect(code).toBe(1)
      expect(fatal?.level).toBe(60)
      expect(fatal?.mechanism).toBe(mechanism)
      expect(received.event.environment).toBe('child-test')
      expect(received.event.exception?.values?.at(-1)?.value).toContain('lost the connection')
      expect(received.raw).not.toContain('child-secret')
    })
  }
})
