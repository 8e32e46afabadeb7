import { existsSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../', import.meta.url))

/** The files the image's entry point runs, one per role. */
export const RUNTIME_ENTRY_FILES = ['api/main.ts', 'worker/main.ts', 'cli/ops.ts', 'deploy/create-buckets.ts']

// Static imports and re-exports, dynamic imports, and files named by `new URL(..., import.meta.url)`,
// which is how the worker points the SDK at the workflow code it bundles at start-up.
const SPECIFIER_PATTERNS = [
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g,
  /(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /new URL\(\s*['"](\.{1,2}\/[^'"]*)['"],\s*import\.meta\.url\s*\)/g,
]

export interface ImportGraph {
  /** Project files reached, relative to the repository root. */
  files: Set<string>
  /** npm packages imported by name, without subpaths. */
  packages: Set<string>
}

/** Walks every relative import from the entry files and collects files and packages. */
export function walkImports(entryFiles: readonly string[]): ImportGraph {
  const graph: ImportGraph = { files: new Set(), packages: new Set() }
  const pending = entryFiles.map((file) => join(ROOT, file))

  while (pending.length > 0) {
    const file = pending.pop()!
    const name = relative(ROOT, file)
    if (graph.files.has(name)) continue
    graph.files.add(name)
    if (!/\.(tsx?|mjs|js)$/.test(file)) continue

    const source = readFileSync(file, 'utf8')
    for (const pattern of SPECIFIER_PATTERNS) {
      for (const match of source.matchAll(pattern)) {
        const specifier = match[1]!
        if (specifier.startsWith('.')) {
          pending.push(...resolveLocal(dirname(file), specifier))
        } else if (!isBuiltin(specifier)) {
          graph.packages.add(packageName(specifier))
        }
      }
    }
  }
  return graph
}

function resolveLocal(fromFolder: string, specifier: string): string[] {
  const target = resolve(fromFolder, specifier)
  if (existsSync(target) && statSync(target).isDirectory()) {
    return existsSync(join(target, 'index.ts')) ? [join(target, 'index.ts')] : [target]
  }
  for (const candidate of [target, `${target}.ts`, `${target}.tsx`, join(target, 'index.ts')]) {
    if (existsSync(candidate)) return [candidate]
  }
  throw new Error(`cannot resolve ${specifier} from ${relative(ROOT, fromFolder)}`)
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier)
}

function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!
}

export interface DockerInstruction {
  keyword: string
  arguments: string
}

export interface DockerStage {
  name: string | null
  baseImage: string
  instructions: DockerInstruction[]
}

/** Splits a Dockerfile into stages of instructions, joining continued lines and dropping comments. */
export function parseDockerfile(text: string): DockerStage[] {
  const logicalLines = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)

  const stages: DockerStage[] = []
  for (const line of logicalLines) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    const instruction = { keyword: keyword.toUpperCase(), arguments: rest }
    if (instruction.keyword === 'FROM') {
      const [baseImage = '', , name] = rest.split(/\s+/)
      stages.push({ baseImage, name: name ?? null, instructions: [] })
    } else {
      stages.at(-1)?.instructions.push(instruction)
    }
  }
  return stages
}

/** True when an image reference names a version tag or a digest, and not `latest`. */
export function isPinnedImage(reference: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(reference)) return true
  const tag = /:([^:/@]+)$/.exec(reference)?.[1]
  return tag !== undefined && tag !== 'latest' && /\d/.test(tag)
}
