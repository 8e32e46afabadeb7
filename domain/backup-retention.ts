import type { BackupStatus } from './backup'

/** How many backups to keep: the newest verified one of each of the last N days, weeks and months. */
export interface BackupRetentionPolicy {
  keepDaily: number
  keepWeekly: number
  keepMonthly: number
  /** IANA time zone that decides which calendar day, week and month a backup belongs to. */
  timeZone: string
}

export interface RetainedBackup {
  id: string
  status: BackupStatus
  startedAt: Date
}

export interface BackupPruningPlan {
  keep: { id: string; reasons: string[] }[]
  prune: { id: string; reason: string }[]
}

interface CalendarDay {
  day: string
  week: string
  month: string
}

/** Returns the backup's local day (2026-12-04), ISO week (2026-W49) and month (2026-12). */
function calendarOf(at: Date, timeZone: string): CalendarDay {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at)
  const part = (type: string) => Number(parts.find((entry) => entry.type === type)?.value)
  const [year, month, day] = [part('year'), part('month'), part('day')]

  // ISO week: the week with the year's first Thursday is week 1, and weeks start on Monday.
  const date = new Date(Date.UTC(year, month - 1, day))
  const weekday = date.getUTCDay() || 7
  date.setUTCDate(date.getUTCDate() + 4 - weekday)
  const weekYear = date.getUTCFullYear()
  const week = Math.ceil(((date.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000 + 1) / 7)

  const pad = (value: number) => String(value).padStart(2, '0')
  return { day: `${year}-${pad(month)}-${pad(day)}`, week: `${weekYear}-W${pad(week)}`, month: `${year}-${pad(month)}` }
}

/**
 * Decides which backups of one database to keep and which to prune. A verified backup is kept
 * when it is the newest verified one, or the newest of one of the last `keepDaily` days,
 * `keepWeekly` ISO weeks or `keepMonthly` months that have a verified backup. A failed backup
 * is pruned once it is older than `keepDaily` days. Backups still running or not yet verified
 * are always kept.
 */
export function planBackupPruning(backups: readonly RetainedBackup[], policy: BackupRetentionPolicy, now: Date): BackupPruningPlan {
  const verified = backups.filter((backup) => backup.status === 'verified').sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())
  const reasons = new Map<string, string[]>()
  const keepFor = (id: string, reason: string) => reasons.set(id, [...(reasons.get(id) ?? []), reason])

  if (verified[0]) keepFor(verified[0].id, 'newest verified backup')
  const buckets: [keyof CalendarDay, number, string][] = [
    ['day', policy.keepDaily, 'daily'],
    ['week', policy.keepWeekly, 'weekly'],
    ['month', policy.keepMonthly, 'monthly'],
  ]
  for (const [unit, count, label] of buckets) {
    const seen = new Set<string>()
    for (const backup of verified) {
      const bucket = calendarOf(backup.startedAt, policy.timeZone)[unit]
      if (seen.has(bucket)) continue
      if (seen.size === count) break
      seen.add(bucket)
      keepFor(backup.id, `${label} ${bucket}`)
    }
  }

  const plan: BackupPruningPlan = { keep: [], prune: [] }
  const failedCutoff = now.getTime() - policy.keepDaily * 86_400_000
  for (const backup of backups) {
    const kept = reasons.get(backup.id)
    if (kept) plan.keep.push({ id: backup.id, reasons: kept })
    else if (backup.status === 'verified') plan.prune.push({ id: backup.id, reason: 'outside the daily, weekly and monthly counts' })
    else if (backup.status === 'failed' && backup.startedAt.getTime() < failedCutoff) plan.prune.push({ id: backup.id, reason: `failed, older than ${policy.keepDaily} days` })
    else if (backup.status !== 'pruned') plan.keep.push({ id: backup.id, reasons: [backup.status === 'failed' ? 'recent failure, kept for inspection' : 'not verified yet'] })
  }
  return plan
}
