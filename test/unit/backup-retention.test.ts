import { describe, expect, it } from 'vitest'
import { planBackupPruning, type RetainedBackup } from '../../domain/backup-retention'

const UTC = { keepDaily: 7, keepWeekly: 4, keepMonthly: 12, timeZone: 'UTC' }

/** One verified backup a day at 02:00 UTC, newest last, ending on the given day. */
function dailyBackups(days: number, last: string): RetainedBackup[] {
  const end = Date.parse(`${last}T02:00:00Z`)
  return Array.from({ length: days }, (_, index) => {
    const startedAt = new Date(end - (days - 1 - index) * 86_400_000)
    return { id: startedAt.toISOString().slice(0, 10), status: 'verified' as const, startedAt }
  })
}

const keptIds = (plan: ReturnType<typeof planBackupPruning>) => plan.keep.map((entry) => entry.id).sort()

describe('planBackupPruning', () => {
  it('keeps daily, weekly and monthly backups', () => {
    const backups = dailyBackups(120, '2026-12-04')

    const plan = planBackupPruning(backups, UTC, new Date('2026-12-04T12:00:00Z'))

    const daily = ['2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04']
    // Sundays end ISO weeks; the newest backup of the current week is 2026-12-04 itself.
    const weekly = ['2026-11-15', '2026-11-22', '2026-11-29', '2026-12-04']
    const monthly = ['2026-08-31', '2026-09-30', '2026-10-31', '2026-11-30', '2026-12-04']
    expect(keptIds(plan)).toEqual([...new Set([...daily, ...weekly, ...monthly])].sort())
    expect(plan.prune).toHaveLength(120 - keptIds(plan).length)
    expect(plan.keep.find((entry) => entry.id === '2026-12-04')?.reasons).toEqual(['newest verified backup', 'daily 2026-12-04', 'weekly 2026-W49', 'monthly 2026-12'])
  })

  it('keeps the newest verified backup behind failures', () => {
    const backups: RetainedBackup[] = [
      { id: 'good', status: 'verified', startedAt: new Date('2026-11-01T02:00:00Z') },
      { id: 'broken-old', status: 'failed', startedAt: new Date('2026-11-02T02:00:00Z') },
      { id: 'broken-new', status: 'failed', startedAt: new Date('2026-12-04T02:00:00Z') },
      { id: 'running', status: 'running', startedAt: new Date('2026-10-01T02:00:00Z') },
    ]

    const plan = planBackupPruning(backups, { ...UTC, keepDaily: 1, keepWeekly: 0, keepMonthly: 0 }, new Date('2026-12-04T12:00:00Z'))

    expect(keptIds(plan)).toEqual(['broken-new', 'good', 'running'])
    expect(plan.prune).toEqual([{ id: 'broken-old', reason: 'failed, older than 1 days' }])
  })

  it('counts days in the schedule time zone', () => {
    const backups: RetainedBackup[] = [
      { id: 'morning', status: 'verified', startedAt: new Date('2026-12-04T01:00:00Z') },
      { id: 'late', status: 'verified', startedAt: new Date('2026-12-04T23:30:00Z') },
    ]
    const policy = { keepDaily: 2, keepWeekly: 0, keepMonthly: 0 }
    const now = new Date('2026-12-05T06:00:00Z')

    const utc = planBackupPruning(backups, { ...policy, timeZone: 'UTC' }, now)
    const berlin = planBackupPruning(backups, { ...policy, timeZone: 'Europe/Berlin' }, now)

    expect(keptIds(utc)).toEqual(['late'])
    expect(keptIds(berlin)).toEqual(['late', 'morning'])
  })

  it('names ISO weeks across a year end', () => {
    const backups: RetainedBackup[] = [
      { id: 'a', status: 'verified', startedAt: new Date('2027-01-01T02:00:00Z') },
      { id: 'b', status: 'verified', startedAt: new Date('2026-01-01T02:00:00Z') },
    ]

    const plan = planBackupPruning(backups, { keepDaily: 1, keepWeekly: 2, keepMonthly: 0, timeZone: 'UTC' }, new Date('2027-01-02T00:00:00Z'))

    expect(plan.keep.find((entry) => entry.id === 'a')?.reasons).toContain('weekly 2026-W53')
    expect(plan.keep.find((entry) => entry.id === 'b')?.reasons).toEqual(['weekly 2026-W01'])
  })
})
