import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { isPinnedImage, parseDockerfile, ROOT, RUNTIME_ENTRY_FILES, walkImports } from '../deploy-support'

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
const runtime = stages.at(-1)!
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}
const ENTRYPOINT_SCRIPT = readFileSync(join(ROOT, 'deploy/entrypoint.sh'), 'utf8')

function instructions(keyword: string, stage = runtime): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.arguments)
}

/** Top-level paths the runtime stage copies from the build context (not from other stages). */
function copiedPaths(): string[] {
  return instructions('COPY')
    .filter((args) => !args.startsWith('--from='))
    .flatMap((args) => args.replace(/--\S+\s+/g, '').split(/\s+/).slice(0, -1))
}

function dockerignorePatterns(): string[] {
  return readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'))
}

describe('Dockerfile', () => {
  it('builds in stages from pinned images', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2)
    for (const stage of stages) expect(isPinnedImage(stage.baseImage), stage.baseImage).toBe(true)
  })

  it('installs only production dependencies', () => {
    const dependencyStage = stages.find((stage) => instructions('RUN', stage).some((run) => run.includes('npm ci')))

    expect(dependencyStage?.name).not.toBeNull()
    expect(instructions('RUN', dependencyStage).join(' ')).toMatch(/npm ci\b[^&]*--omit=dev/)
    expect(instructions('COPY')).toContain(`--from=${dependencyStage?.name} /app/node_modules ./node_modules`)
    expect(instructions('RUN').join(' ')).not.toMatch(/npm (ci|install)/)
  })

  it('runs as a user other than root', () => {
    const users = instructions('USER')
    const keywords = runtime.instructions.map((instruction) => instruction.keyword)

    expect(users.length).toBeGreaterThan(0)
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/)
    expect(keywords.lastIndexOf('USER')).toBeLessThan(keywords.indexOf('ENTRYPOINT'))
  })

  it('puts the PostgreSQL client in the image', () => {
    expect(instructions('RUN').join(' ')).toMatch(/apt-get install[^&]*\bpostgresql-client\b/)
  })

  it('copies every folder the runtime imports', () => {
    const graph = walkImports(RUNTIME_ENTRY_FILES)
    const topLevel = new Set([...graph.files].map((file) => file.split('/')[0]!))
    const copied = copiedPaths()
    const ignored = dockerignorePatterns()

    expect(topLevel.size).toBeGreaterThan(5)
    for (const path of topLevel) {
      expect(copied, path).toContain(path)
      expect(ignored, path).not.toContain(path)
    }
  })

  it('keeps every runtime package in dependencies', () => {
    const graph = walkImports(RUNTIME_ENTRY_FILES)

    expect(graph.packages.size).toBeGreaterThan(5)
    for (const name of graph.packages) expect(Object.keys(packageJson.dependencies), name).toContain(name)
    expect(Object.keys(packageJson.dependencies)).toContain('tsx')
  })

  it('leaves secrets and local state out of the context', () => {
    const ignored = dockerignorePatterns()

    for (const path of ['.env', '.git', 'node_modules', '.data']) expect(ignored, path).toContain(path)
  })

  it('starts through the entrypoint script', () => {
    const mode = execFileSync('git', ['ls-files', '--stage', 'deploy/entrypoint.sh'], { cwd: ROOT, encoding: 'utf8' })

    expect(instructions('ENTRYPOINT')).toEqual(['["./deploy/entrypoint.sh"]'])
    expect(instructions('CMD')).toEqual(['["api"]'])
    expect(mode.split(' ')[0]).toBe('100755')
  })

  it('knows every role compose starts', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { build?: string; command?: string[] }>
    }
    const roles = Object.values(compose.services).flatMap((service) => (service.build ? [service.command![0]!] : []))

    expect(roles.sort()).toEqual(['api', 'create-buckets', 'worker'])
    for (const role of roles) expect(ENTRYPOINT_SCRIPT).toMatch(new RegExp(`^\\s+${role}\\) exec node --import tsx `, 'm'))
  })
})
