import type { RestoreSplit, Sample } from './measure'
import type { BackupPhases, RestorePhases } from './phases'

export const CONTENDER_IDS = [
  'backupOurs',
  'backupPgDump',
  'restoreOurs',
  'restoreCreatedbPgRestore',
  'restorePgRestore',
  'restorePsql',
] as const

/** Contender built from bare pg_restore's samples with their `createdb` time added, so it is not run on its own. */
const DERIVED_CONTENDER: ContenderId = 'restoreCreatedbPgRestore'

export type ContenderId = (typeof CONTENDER_IDS)[number]

export function contenderLabel(id: ContenderId, restoreJobs: number): string {
  switch (id) {
    case 'backupOurs':
      return 'backup   ours: dumpDatabase'
    case 'backupPgDump':
      return 'backup   pg_dump --format=custom'
    case 'restoreOurs':
      return `restore  ours: restoreBackup jobs=${restoreJobs}`
    case 'restoreCreatedbPgRestore':
      return `restore  createdb + pg_restore -j${restoreJobs}`
    case 'restorePgRestore':
      return `restore  pg_restore -j${restoreJobs}`
    case 'restorePsql':
      return 'restore  psql < plain dump'
  }
}

export interface ContenderResult {
  samples: Sample[]
  medianWallMs: number
  minWallMs: number
  maxWallMs: number
  medianMaxRssKb: number | null
}

export interface Ratio {
  label: string
  /** Ours over bare, of the median wall times. */
  value: number
  /** Ours over bare, of the fastest runs. Other load on the machine mostly adds time, so this is less noisy. */
  fastestValue: number
  /** Highest value that meets the aim, or null when the pair is shown for context only. */
  aim: number | null
}

export interface SizeResult {
  targetMb: number
  databaseBytes: number
  tables: number
  rows: number
  generateMs: number
  /** Size of the last dump our backup stored. */
  customDumpBytes: number
  /** Size of the last bare pg_dump file, to compare with customDumpBytes. */
  pgDumpBytes: number
  plainDumpBytes: number
  plainDumpMs: number
  /** Peak RSS of run-one.ts doing nothing but loading the modules every measurement loads. */
  baselineRssKb: number
  contenders: Record<ContenderId, ContenderResult>
  ratios: Ratio[]
  phases: { backup: BackupPhases; restore: RestorePhases } | null
  /** The machine's 1-minute load average before generating and after the last measurement. */
  loadAverage: { atStart: number; atEnd: number }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  if (sorted.length % 2 === 1) return sorted[middle] ?? NaN
  return ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2
}

/** Medians of each part of our restore's split, or null when no sample has one. */
export function medianSplit(samples: Sample[]): RestoreSplit | null {
  const splits = samples.flatMap((sample) => (sample.split ? [sample.split] : []))
  if (splits.length === 0) return null
  return {
    beforePgRestoreMs: median(splits.map((split) => split.beforePgRestoreMs)),
    pgRestoreMs: median(splits.map((split) => split.pgRestoreMs)),
    afterPgRestoreMs: median(splits.map((split) => split.afterPgRestoreMs)),
  }
}

export function summarize(samples: Sample[]): ContenderResult {
  const walls = samples.map((sample) => sample.wallMs)
  const rss = samples.map((sample) => sample.maxRssKb)
  const knownRss = rss.filter((value): value is number => value !== null)

  return {
    samples,
    medianWallMs: median(walls),
    minWallMs: Math.min(...walls),
    maxWallMs: Math.max(...walls),
    medianMaxRssKb: knownRss.length === rss.length ? median(knownRss) : null,
  }
}

/** Summarizes bare restores as the customer's steps: each sample's `createdb` time added to the tool's. */
export function summarizeWithCreatedb(samples: Sample[]): ContenderResult {
  return summarize(samples.map((sample) => ({ ...sample, wallMs: sample.wallMs + (sample.createDatabaseMs ?? 0) })))
}

export function ratiosOf(contenders: Record<ContenderId, ContenderResult>, restoreJobs: number): Ratio[] {
  const ratio = (label: string, ours: ContenderId, bare: ContenderId, aim: number | null): Ratio => ({
    label,
    value: contenders[ours].medianWallMs / contenders[bare].medianWallMs,
    fastestValue: contenders[ours].minWallMs / contenders[bare].minWallMs,
    aim,
  })

  return [
    ratio('backup   ours / pg_dump --format=custom', 'backupOurs', 'backupPgDump', 1.1),
    // Our restore creates its database, so the aim compares it with the customer's createdb and
    // pg_restore. The tool alone, into a database made beforehand, is shown beside it.
    ratio(`restore  ours / createdb + pg_restore -j${restoreJobs}`, 'restoreOurs', 'restoreCreatedbPgRestore', 1.05),
    ratio(`restore  ours / pg_restore -j${restoreJobs} alone`, 'restoreOurs', 'restorePgRestore', null),
    ratio('restore  ours / psql < plain dump alone', 'restoreOurs', 'restorePsql', null),
  ]
}

const seconds = (ms: number) => (ms / 1000).toFixed(2)
const mebibytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
const rssMb = (kb: number | null) => (kb === null ? 'n/a' : (kb / 1024).toFixed(1))

const SIZE_TABLE_WIDTHS = [40, 10, 8, 8, 12]

/** Formats the result of one size: its database, each contender's times and RSS, and the ratios. */
export function formatSize(size: SizeResult, restoreJobs: number): string {
  const runs = size.contenders.backupOurs.samples.length
  const lines = [
    `Size ${size.targetMb} MB: pg_database_size ${mebibytes(size.databaseBytes)} MB, ${size.tables} tables, ` +
      `${size.rows.toLocaleString('en-US')} rows; custom dump ${mebibytes(size.customDumpBytes)} MB, ` +
      `plain dump ${mebibytes(size.plainDumpBytes)} MB; ${runs} runs each, median shown`,
    `Load average (1 min): ${size.loadAverage.atStart.toFixed(2)} before generating, ` +
      `${size.loadAverage.atEnd.toFixed(2)} after the last measurement`,
  ]
  const { disturbed, total } = disturbedRuns(size)
  if (disturbed > 0) {
    lines.push(
      `WARNING: ${disturbed} of ${total} measurements started while other sessions were running queries`,
    )
  }

  lines.push('', row(['contender', 'median s', 'min s', 'max s', 'peak RSS MB'], SIZE_TABLE_WIDTHS))
  for (const id of CONTENDER_IDS) lines.push(contenderRow(id, size.contenders[id], restoreJobs))
  lines.push(...sizeNotes(size), '')
  for (const ratio of size.ratios) lines.push(`  ${formatRatio(ratio)}`)
  if (size.phases) lines.push('', ...formatPhases(size.phases))
  return lines.join('\n')
}

function contenderRow(id: ContenderId, result: ContenderResult, restoreJobs: number): string {
  const cells = [
    contenderLabel(id, restoreJobs),
    seconds(result.medianWallMs),
    seconds(result.minWallMs),
    seconds(result.maxWallMs),
    rssMb(result.medianMaxRssKb),
  ]
  return row(cells, SIZE_TABLE_WIDTHS)
}

function sizeNotes(size: SizeResult): string[] {
  const notes = [`  (peak RSS of run-one.ts with only its modules loaded: ${rssMb(size.baselineRssKb)} MB)`]
  const split = medianSplit(size.contenders.restoreOurs.samples)
  if (split) {
    notes.push(
      `  (our restore by its heartbeats, medians: ${seconds(split.beforePgRestoreMs)} s before pg_restore's first ` +
        `progress line, ${seconds(split.pgRestoreMs)} s to its last, ${seconds(split.afterPgRestoreMs)} s after)`,
    )
  }
  return notes
}

function formatRatio(ratio: Ratio): string {
  const verdict =
    ratio.aim === null
      ? 'context, no aim'
      : `aim <= ${ratio.aim.toFixed(2)}: ${ratio.value <= ratio.aim ? 'met' : 'missed'}`
  const fastest = `(fastest runs ${ratio.fastestValue.toFixed(3)})`
  return `${ratio.label.padEnd(42)} ${ratio.value.toFixed(3)}  ${fastest}  ${verdict}`
}

/** Counts the measurements that started while other sessions were running queries on the server. */
function disturbedRuns(size: SizeResult): { disturbed: number; total: number } {
  const measured = CONTENDER_IDS.filter((id) => id !== DERIVED_CONTENDER)
  const samples = measured.flatMap((id) => size.contenders[id].samples)
  return {
    disturbed: samples.filter((sample) => (sample.foreignSessions ?? 0) > 0).length,
    total: samples.length,
  }
}

function formatPhases(phases: { backup: BackupPhases; restore: RestorePhases }): string[] {
  const { backup, restore } = phases
  return [
    '  Phases of our code, each timed alone (one run):',
    `    backup:  row counts in a snapshot ${seconds(backup.countRowsMs)} s, pg_dump through DigestStream into storage ` +
      `${seconds(backup.dumpThroughNodeMs)} s, SHA-256 of the dump ${seconds(backup.hashDumpMs)} s`,
    `    restore: SHA-256 of the pinned file ${seconds(restore.downloadMs)} s, pg_restore --list ${seconds(restore.listMs)} s, ` +
      `recreate database ${seconds(restore.recreateDatabaseMs)} s, row counts after pg_restore ` +
      `${seconds(restore.countFreshRowsMs)} s (again: ${seconds(restore.countRowsAgainMs)} s)`,
  ]
}

/** Formats every size side by side, so growth of time and memory with the database shows. */
export function formatComparison(sizes: SizeResult[], restoreJobs: number): string {
  const widths = [40, ...sizes.flatMap(() => [10, 12])]
  const header = row(['', ...sizes.flatMap((size) => [`${size.targetMb} MB`, ''])], widths)
  const units = row(['contender', ...sizes.flatMap(() => ['time s', 'RSS MB'])], widths)
  const lines = ['All sizes side by side (medians)', '', header, units]

  for (const id of CONTENDER_IDS) {
    const cells = sizes.flatMap((size) => [
      seconds(size.contenders[id].medianWallMs),
      rssMb(size.contenders[id].medianMaxRssKb),
    ])
    lines.push(row([contenderLabel(id, restoreJobs), ...cells], widths))
  }
  lines.push(
    row(
      ['baseline: run-one.ts, modules only', ...sizes.flatMap((size) => ['', rssMb(size.baselineRssKb)])],
      widths,
    ),
  )

  lines.push('')
  for (const [index, ratio] of (sizes[0]?.ratios ?? []).entries()) {
    const values = sizes.map((size) => size.ratios[index]?.value.toFixed(3) ?? 'n/a')
    lines.push(row([`ratio ${ratio.label.trim()}`, ...values], [48, ...sizes.map(() => 10)]))
  }

  const growth = memoryGrowth(sizes)
  if (growth) lines.push('', growth)
  return lines.join('\n')
}

/** Describes how our peak RSS changed from the smallest to the largest size. */
function memoryGrowth(sizes: SizeResult[]): string | null {
  const smallest = sizes[0]
  const largest = sizes.at(-1)
  if (!smallest || !largest || smallest === largest) return null

  const change = (id: ContenderId) => {
    const from = smallest.contenders[id].medianMaxRssKb
    const to = largest.contenders[id].medianMaxRssKb
    if (from === null || to === null) return 'n/a'
    const deltaMb = (to - from) / 1024
    return `${deltaMb >= 0 ? '+' : ''}${deltaMb.toFixed(1)} MB (${(((to - from) / from) * 100).toFixed(1)}%)`
  }
  const growthFactor = (largest.databaseBytes / smallest.databaseBytes).toFixed(1)
  return (
    `Peak RSS of our code from ${smallest.targetMb} MB to ${largest.targetMb} MB (database ${growthFactor}x larger): ` +
    `backup ${change('backupOurs')}, restore ${change('restoreOurs')}`
  )
}

function row(cells: string[], widths: number[]): string {
  return cells
    .map((cell, index) => (index === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[index] ?? 0)))
    .join(' ')
    .trimEnd()
}
