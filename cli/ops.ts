import { parseArgs } from 'node:util'
import type { Client } from '@temporalio/client'
import { connectTemporal } from '../client/temporal'
import { loadConfigOrExit, temporalAddress } from '../config'
import { connectDatabase, type Sql } from '../data/db'
import { databaseName } from '../domain/backup'
import { openPrivateStore } from '../storage'
import { backupList, backupNow, backupRestore, OperationFailedError, rebuildCatalog, type CommandContext } from './backup-commands'
import { mirrorNow, mirrorRestore, mirrorVerify } from './mirror-commands'
import { backupPrune } from './prune-commands'
import { resolveSchool, retentionPurge, retentionReport } from './retention-commands'
import { drDecide, drShowStatus, drStart, operatorName, parseStage } from './dr-commands'

const USAGE = `Usage: npm run ops -- <command> [options]

Commands:
  backup now [--database NAME]             back up now, show progress, exit 1 if it fails
  backup list [--database NAME] [--limit N] [--json] [--from-storage]
                                           list backups, newest first; --from-storage reads the
                                           manifests in storage instead of the catalog table
  backup restore BACKUP_ID --to DATABASE [--force] [--template DATABASE]
  backup restore --manifest KEY --to DATABASE [--force]
                                           recreate DATABASE and restore the backup into it;
                                           --force allows replacing the application database
  backup rebuild-catalog                   add catalog rows for every manifest in storage
  backup prune [--database NAME] [--dry-run]
                                           delete backups outside BACKUP_KEEP_DAILY, _WEEKLY
                                           and _MONTHLY; --dry-run lists the decisions only

  mirror now                               copy what is new or changed in private storage
                                           to the mirror, and print the counts
  mirror verify                            compare every object with its mirror copy by SHA-256
  mirror restore                           copy what primary storage lacks back from the mirror

  retention report [--school SLUG] [--as-of DATE] [--limit N] [--json]
                                           list the documents a purge would remove and the
                                           rule behind each; reads only
  retention purge [--school SLUG] [--dry-run] [--as-of DATE]
                                           start the school's purge now; a first purge waits
                                           for an admin's approval; --dry-run only counts

  dr start --reason TEXT [--target DATABASE] [--by NAME]
                                           start the DR run (one at a time) and follow its
                                           stages until it finishes or waits for on-call
  dr status [--watch] [--json]             the stages of the latest DR run, with times
  dr approve|retry STAGE [--by NAME]       confirm a waiting stage, or run a failed one again
  dr skip STAGE --reason TEXT [--by NAME]  move past a waiting or failed stage
  dr abort --reason TEXT [--by NAME]       end the DR run

Options:
  --json    print machine-readable JSON on stdout
  --help    show this help
`

/** Thrown for a command line the CLI cannot run; exits with status 2 and the usage text. */
class UsageError extends Error {}

const OPTIONS = {
    database: { type: 'string' },
    limit: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
    'from-storage': { type: 'boolean', default: false },
    to: { type: 'string' },
    force: { type: 'boolean', default: false },
    template: { type: 'string' },
    manifest: { type: 'string' },
    reason: { type: 'string' },
    target: { type: 'string' },
    by: { type: 'string' },
    watch: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    school: { type: 'string' },
    'as-of': { type: 'string' },
    help: { type: 'boolean', default: false },
} as const

function parseCommandLine() {
  try {
    return parseArgs({ allowPositionals: true, options: OPTIONS })
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}`)
    process.exit(2)
  }
}

const { values, positionals } = parseCommandLine()

const config = loadConfigOrExit()
let client: Promise<Client> | undefined
let sql: Sql | undefined

const context: CommandContext = {
  config,
  temporal: () => (client ??= connectTemporal(config).catch(explainTemporalFailure)),
  sql: () => (sql ??= connectDatabase(config.database.url, { max: 2, applicationName: 'school-ops-cli' })),
  storage: openPrivateStore(config),
  json: values.json,
  out: (text) => process.stdout.write(`${text}\n`),
}

function explainTemporalFailure(error: unknown): never {
  client = undefined
  throw new OperationFailedError(
    `cannot reach Temporal at ${temporalAddress(config)} (${(error as Error).message}); ` +
      'start it with `npm start`, or set TEMPORAL_ADDRESS to a running server',
  )
}

function checkedDatabase(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const parsed = databaseName.safeParse(value)
  if (!parsed.success) throw new UsageError(`--${option} "${value}" ${parsed.error.issues[0]?.message}`)
  return parsed.data
}

async function run(): Promise<void> {
  const [group, command, argument] = positionals
  if (values.help || group === undefined) return void process.stdout.write(USAGE)
  if (group === 'dr') return runDr(command, argument)
  if (group === 'retention') return runRetention(command)
  if (group === 'mirror') {
    if (command === 'now') return mirrorNow(context)
    if (command === 'verify') return mirrorVerify(context)
    if (command === 'restore') return mirrorRestore(context)
    throw new UsageError(`unknown mirror command "${command ?? ''}"`)
  }
  if (group !== 'backup') throw new UsageError(`unknown command "${group}"`)

  switch (command) {
    case 'now':
      return backupNow(context, checkedDatabase('database', values.database) ?? config.database.name)
    case 'list': {
      const limit = Number(values.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be a whole number from 1 to 1000')
      return backupList(context, { database: checkedDatabase('database', values.database), limit, fromStorage: values['from-storage'] })
    }
    case 'restore': {
      const targetDatabase = checkedDatabase('to', values.to)
      if (!targetDatabase) throw new UsageError('backup restore needs --to DATABASE')
      if (!argument && !values.manifest) throw new UsageError('backup restore needs a BACKUP_ID or --manifest KEY')
      return backupRestore(context, {
        backupId: argument,
        manifestKey: values.manifest,
        targetDatabase,
        force: values.force,
        template: checkedDatabase('template', values.template),
      })
    }
    case 'rebuild-catalog':
      return rebuildCatalog(context)
    case 'prune':
      return backupPrune(context, { database: checkedDatabase('database', values.database) ?? config.database.name, dryRun: values['dry-run'] })
    default:
      throw new UsageError(`unknown backup command "${command ?? ''}"`)
  }
}

async function runRetention(command: string | undefined): Promise<void> {
  const asOf = values['as-of']
  if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new UsageError(`--as-of "${asOf}" must be a date as YYYY-MM-DD`)
  if (command !== 'report' && command !== 'purge') throw new UsageError(`unknown retention command "${command ?? ''}"`)
  const school = await resolveSchool(context, values.school)
  if (command === 'purge') return retentionPurge(context, { school, dryRun: values['dry-run'], asOf })
  const limit = Number(values.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new UsageError('--limit must be a whole number from 1 to 100000')
  return retentionReport(context, { school, asOf, limit })
}

async function runDr(command: string | undefined, argument: string | undefined): Promise<void> {
  const by = operatorName(values.by)
  const reason = values.reason?.trim() || undefined
  const stage = () => {
    try {
      return parseStage(argument)
    } catch (error) {
      throw new UsageError(`dr ${command}: ${(error as Error).message}`)
    }
  }

  switch (command) {
    case 'start':
      if (!reason) throw new UsageError('dr start needs --reason TEXT')
      return drStart(context, { reason, by, targetDatabase: checkedDatabase('target', values.target) ?? config.database.name })
    case 'status':
      return drShowStatus(context, { watch: values.watch })
    case 'approve':
    case 'retry':
      return drDecide(context, { kind: command, stage: stage(), by, reason })
    case 'skip':
      if (!reason) throw new UsageError('dr skip needs --reason TEXT')
      return drDecide(context, { kind: 'skip', stage: stage(), by, reason })
    case 'abort':
      if (!reason) throw new UsageError('dr abort needs --reason TEXT')
      return drDecide(context, { kind: 'abort', by, reason })
    default:
      throw new UsageError(`unknown dr command "${command ?? ''}"`)
  }
}

let exitCode = 0
try {
  await run()
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n\n${USAGE}`)
    exitCode = 2
  } else if (error instanceof OperationFailedError) {
    process.stderr.write(`error: ${error.message}\n`)
    exitCode = 1
  } else {
    throw error
  }
} finally {
  await sql?.end({ timeout: 5 })
  if (client) await (await client).connection.close()
}
process.exitCode = exitCode
