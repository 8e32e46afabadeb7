import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { CONFIG_VARIABLES } from '../../config'
import { REGISTERED_SEARCH_ATTRIBUTES } from '../../domain/search-attributes'
import { isPinnedImage, parseDockerfile, ROOT } from '../deploy-support'

interface ComposeService {
  image?: string
  build?: string
  command?: string[] | string
  entrypoint?: string[]
  environment?: Record<string, string>
  env_file?: string
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  volumes?: string[]
  ports?: string[]
  restart?: string
}

const COMPOSE_TEXT = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')
const compose = parse(COMPOSE_TEXT, { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> }
const services = compose.services

/** Variables the compose file requires with `${NAME:?message}`. */
const REQUIRED_VARIABLES = [...new Set([...COMPOSE_TEXT.matchAll(/\$\{(\w+):\?/g)].map((match) => match[1]!))]

/** Installs Debian's docker-compose (1.29, which validates without an engine) when missing. */
function ensureDockerCompose(): void {
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return
  execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore' })
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'docker-compose'], { stdio: 'ignore' })
}

/** Runs `docker-compose config` on a copy of the file beside the given .env text. */
function composeConfig(folder: string, envText: string) {
  writeFileSync(join(folder, '.env'), envText)
  return spawnSync('docker-compose', ['config'], { cwd: folder, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })
}

/** Returns the stack's example .env with a test value in every empty setting. */
function filledEnvExample(omit?: string): string {
  return readFileSync(join(ROOT, 'deploy/compose.env.example'), 'utf8')
    .split('\n')
    .filter((line) => omit === undefined || !line.startsWith(`${omit}=`))
    .map((line) => line.replace(/^(\w+)=$/, (_, name: string) => `${name}=${name === 'NEXT_PUBLIC_APP_URL' ? 'https://school.test' : `test${name.length}`}`))
    .join('\n')
}

function hostOf(url: string): string {
  return new URL(url.replace('${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}', 'secret')).hostname
}

function serviceWithImage(prefix: string): [string, ComposeService][] {
  return Object.entries(services).filter(([, service]) => service.image?.startsWith(prefix))
}

describe('docker-compose.yml', () => {
  let folder: string

  beforeAll(() => {
    ensureDockerCompose()
    folder = mkdtempSync(join(tmpdir(), 'compose-check-'))
    copyFileSync(join(ROOT, 'docker-compose.yml'), join(folder, 'docker-compose.yml'))
  })

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true })
  })

  it('passes docker-compose config with the example .env filled', () => {
    const result = composeConfig(folder, filledEnvExample())

    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const resolved = parse(result.stdout) as { services: Record<string, { environment: Record<string, string> }> }
    expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(services).sort())
    expect(resolved.services.worker?.environment.DATABASE_URL).toBe(`postgres://school_ops:test17@postgres:5432/school_ops`)
  })

  it('stops naming each missing secret', () => {
    expect(REQUIRED_VARIABLES.length).toBeGreaterThanOrEqual(4)

    for (const variable of REQUIRED_VARIABLES) {
      const result = composeConfig(folder, filledEnvExample(variable))

      expect(result.status, variable).not.toBe(0)
      expect(result.stderr, variable).toContain(`set ${variable} in .env`)
    }
  })

  it('lists every required variable in the example .env', () => {
    const example = readFileSync(join(ROOT, 'deploy/compose.env.example'), 'utf8')

    for (const variable of REQUIRED_VARIABLES) expect(example, variable).toMatch(new RegExp(`^${variable}=`, 'm'))
  })

  it('pins every image to a version', () => {
    const images = Object.values(services).flatMap((service) => (service.image ? [service.image] : []))

    expect(images.length).toBeGreaterThanOrEqual(5)
    for (const image of images) expect(isPinnedImage(image), image).toBe(true)
  })

  it('writes no secret into the file', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        if (!/PASSWORD|SECRET|PWD|API_KEY|TOKEN/.test(variable)) continue
        expect(String(value), `${name} ${variable}`).toMatch(/^\$\{\w+:\?[^}]+\}$/)
      }
    }
    expect(services.worker?.environment?.DATABASE_URL).toContain('${POSTGRES_PASSWORD:?')
  })

  it('builds the API and worker from the Dockerfile', () => {
    expect(services.api?.build).toBe('.')
    expect(services.worker?.build).toBe('.')
    expect(services.api?.command).toEqual(['api'])
    expect(services.worker?.command).toEqual(['worker'])
    expect(services.api?.env_file).toBe('.env')
  })

  it('passes the app only variables its config reads', () => {
    for (const name of ['api', 'worker']) {
      for (const variable of Object.keys(services[name]?.environment ?? {})) {
        expect(CONFIG_VARIABLES, `${name} ${variable}`).toContain(variable)
      }
    }
  })

  it('wires the app to postgres and Temporal', () => {
    const environment = services.worker!.environment!
    const [[postgresName, postgres]] = serviceWithImage('postgres:') as [[string, ComposeService]]
    const [[temporalName]] = serviceWithImage('temporalio/server:') as [[string, ComposeService]]

    expect(hostOf(environment.DATABASE_URL!)).toBe(postgresName)
    expect(postgres.volumes?.some((volume) => volume.endsWith(':/var/lib/postgresql/data'))).toBe(true)
    expect(environment.TEMPORAL_ADDRESS).toBe(`${'${TEMPORAL_ADDRESS:-'}${temporalName}:7233}`)
    expect(services[temporalName]?.environment?.POSTGRES_SEEDS).toBe(postgresName)
    expect(services[temporalName]?.environment?.DB).toBe('postgres12')
  })

  it('sets up Temporal schema, namespace and attributes', () => {
    const schemaJob = services['temporal-schema']!
    const setupJob = services['temporal-setup']!
    const setupScript = String(setupJob.command)

    expect(String(schemaJob.command)).toContain('update-schema')
    expect(String(schemaJob.command)).toContain('temporal_visibility')
    expect(services.temporal?.depends_on?.['temporal-schema']?.condition).toBe('service_completed_successfully')
    expect(setupScript).toContain('namespace create')
    for (const attribute of REGISTERED_SEARCH_ATTRIBUTES) {
      expect(setupScript, attribute.name).toMatch(new RegExp(`\\b${attribute.name}\\b`))
    }
    expect(serviceWithImage('temporalio/ui:')).toHaveLength(1)
  })

  it('mirrors private storage to a second bucket', () => {
    const environment = services.worker!.environment!
    const store = services[hostOf(environment.S3_ENDPOINT!)]

    expect(environment.STORAGE_PRIVATE_PROVIDER).toBe('s3')
    expect(environment.MIRROR_PROVIDER).toBe('s3')
    expect(store?.image).toMatch(/^versity\/versitygw:/)
    expect(store?.volumes?.some((volume) => volume.endsWith(':/data'))).toBe(true)
    expect(environment.MIRROR_S3_BUCKET).not.toBe(environment.S3_BUCKET)
    expect(services['create-buckets']?.command).toEqual(['create-buckets'])
    expect(services['create-buckets']?.environment).toEqual(environment)
  })

  it('starts the app only after its dependencies', () => {
    for (const name of ['api', 'worker']) {
      const dependsOn = services[name]!.depends_on!

      expect(dependsOn.postgres?.condition, name).toBe('service_healthy')
      expect(dependsOn['temporal-setup']?.condition, name).toBe('service_completed_successfully')
      expect(dependsOn['create-buckets']?.condition, name).toBe('service_completed_successfully')
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = services[dependency]
        expect(target, `${name} depends on ${dependency}`).toBeDefined()
        if (condition === 'service_healthy') expect(target?.healthcheck, `${dependency} health check`).toBeDefined()
        if (condition === 'service_completed_successfully') expect(target?.restart, `${dependency} restart`).toBe('no')
      }
    }
    expect(services.api?.healthcheck?.test.join(' ')).toContain('/readyz')
  })

  it('runs a server the worker image can dump', () => {
    const [[, postgres]] = serviceWithImage('postgres:') as [[string, ComposeService]]
    const runtime = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).at(-1)!
    // Debian's postgresql-client package is PostgreSQL 15 on bookworm and 17 on trixie.
    const clientMajorByRelease: Record<string, number> = { bookworm: 15, trixie: 17 }
    const release = /-(bookworm|trixie)/.exec(runtime.baseImage)?.[1]
    const serverMajor = Number(/^postgres:(\d+)/.exec(postgres.image!)?.[1])

    expect(release).toBeDefined()
    expect(serverMajor).toBeLessThanOrEqual(clientMajorByRelease[release!]!)
  })
})
