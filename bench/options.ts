import { parseArgs } from 'node:util'

export interface BenchOptions {
  /** Target database sizes in MB, as pg_database_size reports them. */
  sizesMb: number[]
  /** Measurements per contender and size. The tables report their median. */
  runs: number
  /** Parallel jobs for our restore and for bare pg_restore. */
  restoreJobs: number
  /** Whether to time the phases of our backup and restore after the measurements. */
  phases: boolean
  /** Maintenance database URL. The benchmark creates and drops its own databases on that server. */
  serverUrl: string
}

export const HELP = `Usage: npm run bench:backup -- [options]

Benchmarks the dumpDatabase and restoreBackup activities against bare pg_dump, pg_restore and psql.

Options:
  --sizes=MB[,MB...]  target database sizes in MB (env BENCH_SIZES_MB, default 100,400)
  --runs=N            measurements per contender and size, at least 2 (env BENCH_RUNS, default 5)
  --jobs=N            parallel restore jobs for both restores (env BENCH_RESTORE_JOBS, default 2)
  --no-phases         skip timing the phases of our backup and restore (env BENCH_PHASES=0)
  --help              print this help

The server is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres). It must be on
loopback, and its user must be allowed to create databases and run CHECKPOINT.`

/** Error for an invalid flag or BENCH_* variable, naming the value. */
export class OptionsError extends Error {
  override name = 'OptionsError'
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]'])

/** Returns the URL with its password replaced, for printing and for the results file. */
export function redactPassword(url: string): string {
  const parsed = new URL(url)
  if (parsed.password) parsed.password = 'redacted'
  return parsed.toString()
}

/** Reads flags and BENCH_* variables, flags taking precedence. Throws OptionsError on an invalid value. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const values = parseFlags(argv)
  if (values.help) return 'help'

  const serverUrl = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  checkLoopback(serverUrl)

  return {
    sizesMb: parseSizes(values.sizes ?? env.BENCH_SIZES_MB ?? '100,400'),
    runs: parseInteger('--runs (BENCH_RUNS)', values.runs ?? env.BENCH_RUNS ?? '5', 2),
    restoreJobs: parseInteger('--jobs (BENCH_RESTORE_JOBS)', values.jobs ?? env.BENCH_RESTORE_JOBS ?? '2', 1),
    phases: !(values['no-phases'] ?? env.BENCH_PHASES === '0'),
    serverUrl,
  }
}

function parseFlags(argv: string[]) {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        sizes: { type: 'string' },
        runs: { type: 'string' },
        jobs: { type: 'string' },
        'no-phases': { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    })
    return values
  } catch (error) {
    throw new OptionsError((error as Error).message)
  }
}

function parseSizes(text: string): number[] {
  const sizes = text.split(',').map((part) => parseInteger('--sizes (BENCH_SIZES_MB)', part.trim(), 10))
  return [...new Set(sizes)].sort((a, b) => a - b)
}

export function parseInteger(name: string, text: string, minimum: number): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < minimum) {
    throw new OptionsError(`invalid ${name} value "${text}": expected a whole number of at least ${minimum}`)
  }
  return value
}

// The benchmark drops databases and runs CHECKPOINT, so it only ever talks to a local server.
export function checkLoopback(serverUrl: string): void {
  const host = URL.canParse(serverUrl) ? new URL(serverUrl).hostname : null
  if (host === null) throw new OptionsError('invalid BENCH_DATABASE_URL: not a URL')
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new OptionsError(
      `invalid BENCH_DATABASE_URL host "${host}": the benchmark only runs against a loopback server`,
    )
  }
}
