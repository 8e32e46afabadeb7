import { spawnSync } from 'node:child_process'
import { accessSync, constants, mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'

/** The only tag that `go install` accepts; later tags carry a replace directive. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1'

/** Folder for tools the project builds once per machine, shared by every clone. */
export function toolCacheDir(): string {
  const base = process.env.SCHOOL_OPS_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'school-ops')
  return join(base, 'bin')
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name)
  }
  return null
}

/**
 * Finds a Go-built tool at its override variable, on PATH or in the tool cache, and otherwise
 * builds it into the cache with `go install`. Throws with install advice when Go is missing.
 */
export function ensureGoTool(options: { name: string; module: string; overrideVariable: string }): string {
  const override = process.env[options.overrideVariable]
  if (override) {
    if (!isExecutable(override)) throw new Error(`${options.overrideVariable}=${override} is not an executable file`)
    return override
  }

  const cached = join(toolCacheDir(), options.name)
  const found = findOnPath(options.name) ?? (isExecutable(cached) ? cached : null)
  if (found) return found

  if (!findOnPath('go')) {
    throw new Error(
      `${options.name} was not found on PATH, at ${options.overrideVariable} or in ${toolCacheDir()}, ` +
        `and Go is not installed to build it. Install Go 1.25 or later and run \`go install ${options.module}\`, ` +
        `or set ${options.overrideVariable} to an existing binary.`,
    )
  }

  mkdirSync(toolCacheDir(), { recursive: true })
  console.error(`building ${options.name} once with go install ${options.module} (a few minutes on a new machine)`)
  const started = Date.now()
  const build = spawnSync('go', ['install', options.module], {
    stdio: 'inherit',
    env: { ...process.env, GOBIN: toolCacheDir() },
  })
  if (build.status !== 0) throw new Error(`go install ${options.module} failed with status ${build.status}`)
  console.error(`built ${cached} in ${Math.round((Date.now() - started) / 1000)} s`)
  return cached
}

export function ensureTemporalCli(): string {
  return ensureGoTool({ name: 'temporal', module: TEMPORAL_CLI_MODULE, overrideVariable: 'TEMPORAL_CLI_PATH' })
}
