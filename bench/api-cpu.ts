import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import type { Sql } from '../data/db'

/** CPU time in ms per process id, user and system together. */
export type CpuSnapshot = Map<number, number>

function clockTicksPerSecond(): number {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
  const ticks = Number(result.stdout?.trim())
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100
}

const TICKS_PER_SECOND = clockTicksPerSecond()

/**
 * Reads utime + stime of a process, fields 14 and 15 of /proc/<pid>/stat (see proc(5)). The
 * fields are split after the closing bracket of field 2, the command name, because the name
 * may contain spaces. Returns null where /proc is missing (not Linux) or the process exited.
 */
async function cpuMillisOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return (ticks * 1000) / TICKS_PER_SECOND
  } catch {
    return null
  }
}

export async function snapshotCpu(pids: number[]): Promise<CpuSnapshot> {
  const snapshot: CpuSnapshot = new Map()
  for (const pid of pids) {
    const millis = await cpuMillisOf(pid)
    if (millis !== null) snapshot.set(pid, millis)
  }
  return snapshot
}

/** Sums the CPU time each process used between two snapshots; a pid new in `after` counts from 0. */
export function cpuMillisBetween(before: CpuSnapshot, after: CpuSnapshot): number {
  let total = 0
  for (const [pid, millis] of after) total += millis - (before.get(pid) ?? 0)
  return total
}

/** Returns the server process ids of the sessions a target's pool opened (by application_name). */
export async function backendPids(admin: Sql, applicationName: string): Promise<number[]> {
  const rows = await admin<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${applicationName}`
  return rows.map((row) => row.pid)
}
