import type { Sql } from './db'

/** How long probe rows are kept; the status page and the alert only read recent ones. */
const PROBE_RETENTION_DAYS = 30

export interface UptimeProbeRecord {
  probeId: string
  url: string
  probedAt: Date
  ok: boolean
  statusCode: number | null
  durationMs: number
  error: string | null
}

interface UptimeProbeRow {
  probe_id: string
  url: string
  probed_at: Date
  ok: boolean
  status_code: number | null
  duration_ms: number
  error: string | null
}

const COLUMNS = ['probe_id', 'url', 'probed_at', 'ok', 'status_code', 'duration_ms', 'error']

function toRecord(row: UptimeProbeRow): UptimeProbeRecord {
  return {
    probeId: row.probe_id,
    url: row.url,
    probedAt: row.probed_at,
    ok: row.ok,
    statusCode: row.status_code,
    durationMs: row.duration_ms,
    error: row.error,
  }
}

/**
 * Stores a probe once per probe id, drops rows older than the retention period and returns
 * the stored probe, which is an earlier attempt's when a retried activity probed again.
 */
export async function recordUptimeProbe(sql: Sql, probe: UptimeProbeRecord): Promise<UptimeProbeRecord> {
  await sql`
    INSERT INTO uptime_probe (probe_id, url, probed_at, ok, status_code, duration_ms, error)
    VALUES (${probe.probeId}, ${probe.url}, ${probe.probedAt}, ${probe.ok}, ${probe.statusCode},
            ${probe.durationMs}, ${probe.error})
    ON CONFLICT (probe_id) DO NOTHING`
  await sql`
    DELETE FROM uptime_probe
     WHERE url = ${probe.url} AND probed_at < ${probe.probedAt}::timestamptz - make_interval(days => ${PROBE_RETENTION_DAYS})`

  const [stored] = await sql<UptimeProbeRow[]>`SELECT ${sql(COLUMNS)} FROM uptime_probe WHERE probe_id = ${probe.probeId}`
  if (!stored) throw new Error(`uptime probe ${probe.probeId} was not stored`)
  return toRecord(stored)
}

/** Counts the failed probes of a URL since its newest successful one. */
export async function countConsecutiveFailures(sql: Sql, url: string): Promise<number> {
  const [row] = await sql<{ failures: number }[]>`
    SELECT count(*)::int AS failures FROM uptime_probe
     WHERE url = ${url} AND NOT ok
       AND probed_at > coalesce((SELECT max(probed_at) FROM uptime_probe WHERE url = ${url} AND ok), '-infinity')`
  return row?.failures ?? 0
}

/** Returns the newest probe of any URL, or of one URL. */
export async function findLatestProbe(sql: Sql, url?: string): Promise<UptimeProbeRecord | null> {
  const [row] = await sql<UptimeProbeRow[]>`
    SELECT ${sql(COLUMNS)} FROM uptime_probe
     WHERE ${url === undefined ? sql`TRUE` : sql`url = ${url}`}
     ORDER BY probed_at DESC LIMIT 1`
  return row ? toRecord(row) : null
}
