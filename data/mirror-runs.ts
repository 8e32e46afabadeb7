import type { Sql } from './db'

export interface MirrorRunSummary {
  runId: string
  workflowId: string
  status: 'good' | 'partial' | 'refused' | 'failed'
  endedAt: Date
  copied: number
  failed: number
  note: string | null
}

interface MirrorRunRow {
  run_id: string
  workflow_id: string
  status: MirrorRunSummary['status']
  ended_at: Date
  copied: number
  failed: number
  note: string | null
}

function toSummary(row: MirrorRunRow): MirrorRunSummary {
  return { runId: row.run_id, workflowId: row.workflow_id, status: row.status, endedAt: row.ended_at, copied: row.copied, failed: row.failed, note: row.note }
}

/** Reads the newest mirror run and the newest good one, which sets the recovery point. */
export async function readMirrorRuns(sql: Sql): Promise<{ last: MirrorRunSummary | null; lastGood: MirrorRunSummary | null }> {
  const [last] = await sql<MirrorRunRow[]>`
    SELECT run_id, workflow_id, status, ended_at, copied, failed, note FROM mirror_run ORDER BY ended_at DESC LIMIT 1`
  const [lastGood] = await sql<MirrorRunRow[]>`
    SELECT run_id, workflow_id, status, ended_at, copied, failed, note FROM mirror_run
     WHERE status = 'good' ORDER BY ended_at DESC LIMIT 1`
  return { last: last ? toSummary(last) : null, lastGood: lastGood ? toSummary(lastGood) : null }
}

export interface MirrorRunRecord {
  runId: string
  workflowId: string
  status: MirrorRunSummary['status']
  startedAt: Date
  endedAt: Date
  scanned: number
  copied: number
  skipped: number
  failed: number
  bytesMoved: number
  note: string | null
}

/** Lists the newest mirror runs first, at most `limit` of them. */
export async function listMirrorRuns(sql: Sql, limit: number): Promise<MirrorRunRecord[]> {
  const rows = await sql<(MirrorRunRow & { started_at: Date; scanned: number; skipped: number; bytes_moved: string })[]>`
    SELECT run_id, workflow_id, status, started_at, ended_at, scanned, copied, skipped, failed, bytes_moved, note
      FROM mirror_run ORDER BY ended_at DESC LIMIT ${limit}`
  return rows.map((row) => ({
    runId: row.run_id,
    workflowId: row.workflow_id,
    status: row.status,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    scanned: row.scanned,
    copied: row.copied,
    skipped: row.skipped,
    failed: row.failed,
    bytesMoved: Number(row.bytes_moved),
    note: row.note,
  }))
}
