import { median } from './report'

export type Scenario = 'full' | 'unchanged' | 'changed'
export type Contender = 'ours' | 'rclone'

export const SCENARIO_LABELS: Record<Scenario, string> = {
  full: 'full copy',
  unchanged: 'no change',
  changed: 'changed',
}

export const CONTENDER_LABELS: Record<Contender, string> = {
  ours: 'ours: mirrorWorkflow',
  rclone: 'rclone sync --checksum',
}

/** Aims of the mirror: a no-change run at most half of rclone's time, and bytes moved equal to bytes changed. */
export const AIMS = { unchangedOverRclone: 0.5, bytesMovedOverChanged: 1.0 }

/** One timed run of one contender. CPU times are those of each process during the run. */
export interface MirrorSample {
  wallMs: number
  /** The mirroring process: the worker (this Node process) for ours, rclone for rclone. */
  clientCpuMs: number
  s3ServerCpuMs: number
  /** The Temporal dev server, for ours; null for rclone, which needs none. */
  temporalCpuMs: number | null
  objectsCopied: number
  bytesMoved: number
  /** Bytes of the objects that changed before this run; 0 when none did. */
  bytesChanged: number
}

export interface MirrorMeasurement {
  scenario: Scenario
  contender: Contender
  samples: MirrorSample[]
  medianWallMs: number
  minWallMs: number
  medianClientCpuMs: number
  medianS3ServerCpuMs: number
  medianTemporalCpuMs: number | null
  /** Median over the runs of bytes moved / bytes changed; null when nothing changed. */
  medianBytesRatio: number | null
}

export function summarizeSamples(scenario: Scenario, contender: Contender, samples: MirrorSample[]): MirrorMeasurement {
  const temporal = samples.flatMap((sample) => (sample.temporalCpuMs === null ? [] : [sample.temporalCpuMs]))
  const changed = samples.filter((sample) => sample.bytesChanged > 0)
  return {
    scenario,
    contender,
    samples,
    medianWallMs: median(samples.map((sample) => sample.wallMs)),
    minWallMs: Math.min(...samples.map((sample) => sample.wallMs)),
    medianClientCpuMs: median(samples.map((sample) => sample.clientCpuMs)),
    medianS3ServerCpuMs: median(samples.map((sample) => sample.s3ServerCpuMs)),
    medianTemporalCpuMs: temporal.length === 0 ? null : median(temporal),
    medianBytesRatio: changed.length === 0 ? null : median(changed.map((sample) => sample.bytesMoved / sample.bytesChanged)),
  }
}

export interface MirrorRatios {
  /** Ours over rclone, of the median wall times, per scenario. */
  wallOursOverRclone: Record<Scenario, number>
  unchangedAimMet: boolean
  bytesAimMet: boolean
}

export function ratiosOf(measurements: MirrorMeasurement[]): MirrorRatios {
  const find = (scenario: Scenario, contender: Contender) => {
    const found = measurements.find((entry) => entry.scenario === scenario && entry.contender === contender)
    if (!found) throw new Error(`no ${contender} measurement of the ${scenario} scenario`)
    return found
  }
  const ratio = (scenario: Scenario) => find(scenario, 'ours').medianWallMs / find(scenario, 'rclone').medianWallMs
  const wallOursOverRclone = { full: ratio('full'), unchanged: ratio('unchanged'), changed: ratio('changed') }
  const bytesRatios = find('changed', 'ours').samples.map((sample) => sample.bytesMoved / sample.bytesChanged)
  return {
    wallOursOverRclone,
    unchangedAimMet: wallOursOverRclone.unchanged <= AIMS.unchangedOverRclone,
    bytesAimMet: bytesRatios.every((value) => value === AIMS.bytesMovedOverChanged),
  }
}

const seconds = (ms: number | null) => (ms === null ? 'n/a' : (ms / 1000).toFixed(2))
const WIDTHS = [12, 24, 9, 7, 10, 8, 13, 8, 15]

function row(cells: string[]): string {
  return cells.map((cell, index) => (index < 2 ? cell.padEnd(WIDTHS[index] ?? 0) : cell.padStart(WIDTHS[index] ?? 0))).join(' ')
}

/** Formats every measurement as a table, then the ratios against rclone and the aims. */
export function formatMirrorResults(measurements: MirrorMeasurement[], ratios: MirrorRatios, changedPercent: number): string {
  const lines = [row(['scenario', 'contender', 'median s', 'min s', 'client CPU', 'S3 CPU', 'Temporal CPU', 'copied', 'moved/changed'])]
  for (const entry of measurements) {
    const scenario = entry.scenario === 'changed' ? `${changedPercent}% changed` : SCENARIO_LABELS[entry.scenario]
    lines.push(
      row([
        scenario,
        CONTENDER_LABELS[entry.contender],
        seconds(entry.medianWallMs),
        seconds(entry.minWallMs),
        seconds(entry.medianClientCpuMs),
        seconds(entry.medianS3ServerCpuMs),
        seconds(entry.medianTemporalCpuMs),
        String(median(entry.samples.map((sample) => sample.objectsCopied))),
        entry.medianBytesRatio === null ? '-' : entry.medianBytesRatio.toFixed(3),
      ]),
    )
  }
  const { wallOursOverRclone: wall } = ratios
  lines.push(
    '',
    `(CPU columns are medians in seconds; "copied" is the median count of objects written)`,
    '',
    `ours / rclone, wall time: full copy ${wall.full.toFixed(3)}, ${changedPercent}% changed ${wall.changed.toFixed(3)}, ` +
      `no change ${wall.unchanged.toFixed(3)} (aim <= ${AIMS.unchangedOverRclone}: ${ratios.unchangedAimMet ? 'met' : 'missed'})`,
    `ours, bytes moved / bytes changed in every changed run: aim ${AIMS.bytesMovedOverChanged.toFixed(1)}: ${ratios.bytesAimMet ? 'met' : 'missed'}`,
  )
  return lines.join('\n')
}
