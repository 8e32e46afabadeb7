import { parseArgs } from 'node:util'
import { checkLoopback, OptionsError, parseInteger } from './options'

export interface MirrorBenchOptions {
  /** Objects generated in the primary bucket. */
  objects: number
  /** Share of the objects rewritten before each changed run, in percent. */
  changedPercent: number
  /** Runs of each contender in the no-change and changed scenarios; the full copy runs once. */
  runs: number
  /** Object sizes, spread log-uniformly between these bounds, in KiB. */
  minKb: number
  maxKb: number
  /** MIRROR_PARALLELISM of our worker; rclone's --transfers is set to the same. */
  parallelism: number
  /** Flags added to every `rclone sync --checksum`, for example --fast-list. */
  rcloneFlags: string[]
  /** Maintenance database URL on loopback; the benchmark creates and drops its catalog database there. */
  serverUrl: string
}

export const MIRROR_HELP = `Usage: npm run bench:mirror -- [options]

Times our mirror workflow against rclone sync --checksum between two buckets of a loopback
versitygw server: a full copy, runs with nothing changed and runs after a share of the objects
changed. Writes bench/results/mirror-latest.json.

Options:
  --objects=N           objects in the primary bucket (default 10000)
  --changed-percent=P   percent of the objects rewritten before each changed run (default 1)
  --runs=N              runs of each contender with no change and with changes (default 3)
  --min-kb=N            smallest object in KiB (default 1)
  --max-kb=N            largest object in KiB (default 128)
  --parallelism=N       MIRROR_PARALLELISM, and rclone --transfers (default 4)
  --rclone-flags=FLAGS  extra flags for rclone sync, space-separated, e.g. "--fast-list"
  --help                print this help

Needs rclone (Debian: apt-get install -y rclone). BENCH_DATABASE_URL sets the PostgreSQL
server (default postgres://postgres@127.0.0.1:5432/postgres), which must be on loopback.`

/** Reads the flags. Prints the help and exits on --help; throws OptionsError on an invalid value. */
export function parseMirrorOptions(argv: string[]): MirrorBenchOptions {
  const values = parseFlags(argv)
  if (values.help) {
    process.stdout.write(`${MIRROR_HELP}\n`)
    process.exit(0)
  }

  const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  checkLoopback(serverUrl)
  const options: MirrorBenchOptions = {
    objects: parseInteger('--objects', values.objects ?? '10000', 100),
    changedPercent: parseInteger('--changed-percent', values['changed-percent'] ?? '1', 1),
    runs: parseInteger('--runs', values.runs ?? '3', 1),
    minKb: parseInteger('--min-kb', values['min-kb'] ?? '1', 1),
    maxKb: parseInteger('--max-kb', values['max-kb'] ?? '128', 1),
    parallelism: parseInteger('--parallelism', values.parallelism ?? '4', 1),
    rcloneFlags: (values['rclone-flags'] ?? '').split(' ').filter((flag) => flag !== ''),
    serverUrl,
  }
  if (options.maxKb < options.minKb) throw new OptionsError(`invalid --max-kb value "${options.maxKb}": expected at least --min-kb (${options.minKb})`)
  if (options.changedPercent * options.runs > 100) {
    throw new OptionsError(`invalid --changed-percent value "${options.changedPercent}": ${options.runs} runs would change more than every object once`)
  }
  return options
}

function parseFlags(argv: string[]) {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        objects: { type: 'string' },
        'changed-percent': { type: 'string' },
        runs: { type: 'string' },
        'min-kb': { type: 'string' },
        'max-kb': { type: 'string' },
        parallelism: { type: 'string' },
        'rclone-flags': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    })
    return values
  } catch (error) {
    throw new OptionsError((error as Error).message)
  }
}
