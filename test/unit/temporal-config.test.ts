import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { temporalConnectionOptions } from '../../client/temporal'
import { ConfigError, loadConfig } from '../../config'

const VALID = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/school_ops',
  NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:3000',
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('Temporal connection settings', () => {
  it('default to plain text without a key', () => {
    const config = loadConfig(VALID)

    expect(config.temporal.connection).toEqual({ tls: null, apiKey: null })
    expect(temporalConnectionOptions(config)).toEqual({ address: '127.0.0.1:7233' })
  })

  it('turn TLS on for a Temporal Cloud API key', () => {
    const config = loadConfig({
      ...VALID,
      TEMPORAL_ADDRESS: 'school.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'school.a1b2c',
      TEMPORAL_API_KEY: 'test-api-key',
    })

    expect(config.temporal.namespace).toBe('school.a1b2c')
    expect(temporalConnectionOptions(config)).toEqual({
      address: 'school.a1b2c.tmprl.cloud:7233',
      tls: {},
      apiKey: 'test-api-key',
    })
  })

  it('keep TLS off when TEMPORAL_TLS is false', () => {
    const config = loadConfig({ ...VALID, TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' })

    expect(config.temporal.connection.tls).toBeNull()
  })

  it('reject a certificate without its key', () => {
    const problems = problemsOf({ ...VALID, TEMPORAL_TLS_CERT_FILE: '/etc/temporal/client.pem' })

    expect(problems).toEqual(['TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE: set both or neither for mutual TLS'])
  })

  it('reject an API key with TLS turned off', () => {
    const problems = problemsOf({ ...VALID, TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'test-api-key' })

    expect(problems).toEqual(['TEMPORAL_TLS: is false, but a certificate or an API key is set; they need TLS'])
  })

  it('reject a TEMPORAL_TLS that is not a boolean', () => {
    const problems = problemsOf({ ...VALID, TEMPORAL_TLS: 'yes' })

    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^TEMPORAL_TLS:/)
  })

  describe('with certificate files', () => {
    let folder: string

    beforeAll(async () => {
      folder = await mkdtemp(join(tmpdir(), 'temporal-tls-'))
      await writeFile(join(folder, 'ca.pem'), 'test CA certificate')
      await writeFile(join(folder, 'client.pem'), 'test client certificate')
      await writeFile(join(folder, 'client.key'), 'test client key')
    })

    afterAll(async () => {
      await rm(folder, { recursive: true, force: true })
    })

    it('read the CA, certificate and key for mutual TLS', () => {
      const config = loadConfig({
        ...VALID,
        TEMPORAL_ADDRESS: 'temporal.district.internal:7233',
        TEMPORAL_TLS_CA_FILE: join(folder, 'ca.pem'),
        TEMPORAL_TLS_CERT_FILE: join(folder, 'client.pem'),
        TEMPORAL_TLS_KEY_FILE: join(folder, 'client.key'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      })

      const options = temporalConnectionOptions(config)

      expect(options.apiKey).toBeUndefined()
      expect(options.tls?.serverNameOverride).toBe('temporal.internal')
      expect(Buffer.from(options.tls!.serverRootCACertificate!).toString()).toBe('test CA certificate')
      expect(Buffer.from(options.tls!.clientCertPair!.crt).toString()).toBe('test client certificate')
      expect(Buffer.from(options.tls!.clientCertPair!.key).toString()).toBe('test client key')
    })

    it('name a certificate file that is missing', () => {
      const missing = join(folder, 'absent.pem')
      const config = loadConfig({ ...VALID, TEMPORAL_TLS_CA_FILE: missing })

      expect(() => temporalConnectionOptions(config)).toThrow(missing)
    })
  })
})

describe('worker limits', () => {
  it('keep the SDK defaults when unset', () => {
    const config = loadConfig(VALID)

    expect(config.worker).toEqual({ maxConcurrentActivities: null, maxConcurrentWorkflowTasks: null, maxCachedWorkflows: null })
  })

  it('parse each limit', () => {
    const config = loadConfig({
      ...VALID,
      WORKER_MAX_CONCURRENT_ACTIVITIES: '4',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
      WORKER_MAX_CACHED_WORKFLOWS: '0',
    })

    expect(config.worker).toEqual({ maxConcurrentActivities: 4, maxConcurrentWorkflowTasks: 20, maxCachedWorkflows: 0 })
  })

  it('name each invalid limit', () => {
    const problems = problemsOf({
      ...VALID,
      WORKER_MAX_CONCURRENT_ACTIVITIES: '0',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1',
      WORKER_MAX_CACHED_WORKFLOWS: 'many',
    })

    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual([
      'WORKER_MAX_CACHED_WORKFLOWS',
      'WORKER_MAX_CONCURRENT_ACTIVITIES',
      'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
    ])
  })
})
