import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { LoadResult } from './api-load'

/** The API must keep at least this share of the bare query's throughput. */
export const AIM_RATIO = 0.5

export type TargetName = 'api' | 'bare'

export interface CaseResult {
  case: string
  target: TargetName
  /** First path requested; `get` cases go through every id in turn. */
  path: string
  load: LoadResult
  /** CPU time per response, from /proc; null where /proc is not readable. */
  cpuMsPerRequest: { server: number | null; database: number | null; loadGenerator: number }
}

export interface Comparison {
  case: string
  apiRequestsPerSecond: number
  bareRequestsPerSecond: number
  /** API throughput divided by bare throughput. */
  ratio: number
  meetsAim: boolean
}

export function compare(results: CaseResult[]): Comparison[] {
  const cases = [...new Set(results.map((result) => result.case))]

  return cases.map((name) => {
    const api = results.find((result) => result.case === name && result.target === 'api')
    const bare = results.find((result) => result.case === name && result.target === 'bare')
    if (!api || !bare) throw new Error(`case ${name} lacks an api or a bare measurement`)
    const ratio = api.load.requestsPerSecond / bare.load.requestsPerSecond
    return {
      case: name,
      apiRequestsPerSecond: api.load.requestsPerSecond,
      bareRequestsPerSecond: bare.load.requestsPerSecond,
      ratio,
      meetsAim: ratio >= AIM_RATIO,
    }
  })
}

/** Returns the results whose runs had connection errors, timeouts or a non-2xx response. */
export function failedRuns(results: CaseResult[]): CaseResult[] {
  return results.filter((result) => result.load.errors > 0 || result.load.timeouts > 0 || result.load.non2xx > 0)
}

function cell(value: number | null, digits: number): string {
  return value === null || Number.isNaN(value) ? '-' : value.toFixed(digits)
}

function formatRow(columns: string[], widths: number[]): string {
  return columns.map((column, index) => (index < 2 ? column.padEnd(widths[index]!) : column.padStart(widths[index]!))).join('  ')
}

export function formatResults(results: CaseResult[]): string {
  const header = ['case', 'target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'server cpu ms/req', 'db cpu ms/req']
  const rows = results.map((result) => [
    result.case,
    result.target,
    cell(result.load.requestsPerSecond, 0),
    cell(result.load.latencyMs.p50, 2),
    cell(result.load.latencyMs.p99, 2),
    String(result.load.errors + result.load.timeouts),
    String(result.load.non2xx),
    cell(result.cpuMsPerRequest.server, 3),
    cell(result.cpuMsPerRequest.database, 3),
  ])
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)))
  return [header, ...rows].map((row) => formatRow(row, widths)).join('\n')
}

export function formatComparisons(comparisons: Comparison[]): string {
  return comparisons
    .map((comparison) => {
      const verdict = comparison.meetsAim ? 'meets' : 'misses'
      return `${comparison.case.padEnd(12)}  api/bare ${comparison.ratio.toFixed(2)}  (${verdict} the aim of ${AIM_RATIO.toFixed(2)})`
    })
    .join('\n')
}

/** Writes the file through a .tmp sibling and a rename, so a reader never sees half of it. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const partial = `${file}.tmp`
  await writeFile(partial, `${JSON.stringify(value, null, 2)}\n`)
  await rename(partial, file)
}
