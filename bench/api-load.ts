import autocannon from 'autocannon'

export interface LoadSettings {
  connections: number
  warmupSeconds: number
  durationSeconds: number
}

/** One request pattern against one server: a fixed path, or paths taken in turn. */
export interface LoadTarget {
  baseUrl: string
  paths: string[]
  headers: Record<string, string>
}

export interface LoadResult {
  durationSeconds: number
  /** Responses of any status received during the measured run. */
  responses: number
  requestsPerSecond: number
  latencyMs: { mean: number; p50: number; p99: number; max: number }
  /** Connection errors and timeouts, as autocannon counts them. */
  errors: number
  timeouts: number
  non2xx: number
  statusCounts: Record<string, number>
}

/**
 * Runs autocannon for `seconds` and collects the response time of every 2xx response. The
 * latencies are kept here because autocannon's own histogram stores whole milliseconds,
 * too coarse for responses that take 1 to 5 ms. `onStart` receives the instance so a
 * signal handler can stop it early.
 */
async function runAutocannon(target: LoadTarget, settings: LoadSettings, seconds: number, onStart: (instance: autocannon.Instance) => void) {
  const latencies: number[] = []
  let next = 0
  const rotate = (request: autocannon.Request): autocannon.Request => {
    const path = target.paths[next % target.paths.length]
    next += 1
    return { ...request, path }
  }

  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.baseUrl,
        connections: settings.connections,
        duration: seconds,
        headers: target.headers,
        requests: [{ method: 'GET', setupRequest: rotate }],
      },
      (error: unknown, finished) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)))
        else resolve(finished)
      },
    )
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime)
    })
    onStart(instance)
  })
  return { result, latencies }
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)
  return sorted[Math.max(0, index)]!
}

function summarizeLatencies(latencies: number[]): LoadResult['latencyMs'] {
  const sorted = Float64Array.from(latencies).sort()
  const sum = latencies.reduce((total, value) => total + value, 0)
  return {
    mean: latencies.length > 0 ? sum / latencies.length : Number.NaN,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
  }
}

function statusCountsOf(result: autocannon.Result): Record<string, number> {
  return Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, stats]) => [status, stats.count ?? 0]))
}

/**
 * Warms the target up for `warmupSeconds`, discarding what that run measured, then measures
 * it for `durationSeconds` with the same connections and paths. `beforeMeasuring` runs between
 * the two, so callers can take CPU snapshots that cover only the measured run.
 */
export async function measureLoad(
  target: LoadTarget,
  settings: LoadSettings,
  hooks: { onStart: (instance: autocannon.Instance) => void; beforeMeasuring: () => Promise<void> },
): Promise<LoadResult> {
  if (settings.warmupSeconds > 0) await runAutocannon(target, settings, settings.warmupSeconds, hooks.onStart)
  await hooks.beforeMeasuring()

  const { result, latencies } = await runAutocannon(target, settings, settings.durationSeconds, hooks.onStart)
  return {
    durationSeconds: result.duration,
    responses: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    latencyMs: summarizeLatencies(latencies),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCounts: statusCountsOf(result),
  }
}
