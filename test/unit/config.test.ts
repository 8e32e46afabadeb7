import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../config'

const VALID = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/school_ops',
  NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:3000',
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('loadConfig', () => {
  it('fills defaults from a minimal environment', () => {
    const config = loadConfig(VALID)

    expect(config.database.name).toBe('school_ops')
    expect(config.backup.databases).toEqual(['school_ops'])
    expect(config.temporal.address).toBeUndefined()
    expect(config.backup.schedule).toEqual({ cron: '0 2 * * *', timezone: 'UTC', catchupWindow: '6h' })
  })

  it('names every missing variable at once', () => {
    const problems = problemsOf({})

    expect(problems).toContain('DATABASE_URL: is missing')
    expect(problems).toContain('NEXT_PUBLIC_APP_URL: is missing')
  })

  it('names an invalid value', () => {
    const problems = problemsOf({ ...VALID, API_PORT: '70000', DATABASE_URL: 'mysql://x/y' })

    expect(problems.some((line) => line.startsWith('API_PORT:'))).toBe(true)
    expect(problems.some((line) => line.startsWith('DATABASE_URL:'))).toBe(true)
  })

  it('treats empty values as unset', () => {
    const config = loadConfig({ ...VALID, TEMPORAL_ADDRESS: '', BACKUP_DATABASES: '' })

    expect(config.temporal.address).toBeUndefined()
    expect(config.backup.databases).toEqual(['school_ops'])
  })

  it('names bad schedules, durations and URLs together', () => {
    const problems = problemsOf({
      ...VALID,
      BACKUP_SCHEDULE_CRON: 'not a cron',
      BACKUP_CATCHUP_WINDOW: 'forever',
      BACKUP_DATABASES: 'school_ops,foo bar',
      NEXT_PUBLIC_APP_URL: 'javascript:alert(1)',
      BACKUP_SCHEDULE_TIMEZONE: 'Mars/Base',
    })

    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual([
      'BACKUP_CATCHUP_WINDOW',
      'BACKUP_DATABASES',
      'BACKUP_SCHEDULE_CRON',
      'BACKUP_SCHEDULE_TIMEZONE',
      'NEXT_PUBLIC_APP_URL',
    ])
  })

  it('reads retention periods', () => {
    const config = loadConfig({ ...VALID, RETENTION_YEARS: 'notice=4' })
    const problems = problemsOf({ ...VALID, RETENTION_YEARS: 'payroll=3' })

    expect(config.retention.rules.notice.years).toBe(4)
    expect(config.retention.rules.payroll.years).toBe(7)
    expect(config.retention.purgeCron).toBe('0 3 * * *')
    expect(problems).toEqual(['RETENTION_YEARS: "payroll=3": the category must be one of notice, student-photo, staff-photo, sensitive, branding; financial and academic periods are fixed'])
  })

  it('splits the backup database list', () => {
    expect(loadConfig({ ...VALID, BACKUP_DATABASES: ' a, b ,,c' }).backup.databases).toEqual(['a', 'b', 'c'])
  })

  it('rejects an unknown time zone', () => {
    expect(problemsOf({ ...VALID, BACKUP_SCHEDULE_TIMEZONE: 'Mars/Olympus' })).toEqual([
      'BACKUP_SCHEDULE_TIMEZONE: unknown time zone "Mars/Olympus"',
    ])
  })

  it('rejects the example admin password in production', () => {
    const problems = problemsOf({ ...VALID, NODE_ENV: 'production', BOOTSTRAP_ADMIN_EMAIL: 'a@b.test', BOOTSTRAP_ADMIN_PASSWORD: 'change-me-local-admin-password' })

    expect(problems[0]).toContain('BOOTSTRAP_ADMIN_PASSWORD: is the example value')
  })

  it('needs both bootstrap variables or neither', () => {
    expect(problemsOf({ ...VALID, BOOTSTRAP_ADMIN_EMAIL: 'a@b.test' })).toEqual(['BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD: set both or neither'])
  })

  it('defaults the DR target app to the public URL', () => {
    expect(loadConfig({ ...VALID, NEXT_PUBLIC_APP_URL: 'http://127.0.0.1:3000/' }).dr.targetAppUrl).toBe('http://127.0.0.1:3000')
  })

  it('turns Sentry off and probes /healthz by default', () => {
    const { monitoring } = loadConfig({ ...VALID, NEXT_PUBLIC_APP_URL: 'https://school.example/' })

    expect(monitoring.sentry.dsn).toBeNull()
    expect(monitoring.sentry.environment).toBe('development')
    expect(monitoring.sentry.release).toMatch(/^school-ops@\d+\.\d+\.\d+/)
    expect(monitoring.alertWebhookUrl).toBeNull()
    expect(monitoring.uptime).toEqual({ url: 'https://school.example/healthz', interval: '1m', timeoutMs: 10_000, failureThreshold: 3 })
    expect(monitoring.backupRpoCheckInterval).toBe('15m')
  })

  it('names invalid monitoring variables', () => {
    const problems = problemsOf({ ...VALID, SENTRY_DSN: 'not a url', UPTIME_PROBE_PATH: 'healthz', UPTIME_FAILURE_THRESHOLD: '0', UPTIME_PROBE_INTERVAL: 'every minute' })

    expect(problems.some((line) => line.startsWith('SENTRY_DSN:'))).toBe(true)
    expect(problems.some((line) => line.startsWith('UPTIME_PROBE_PATH:'))).toBe(true)
    expect(problems.some((line) => line.startsWith('UPTIME_FAILURE_THRESHOLD:'))).toBe(true)
    expect(problems.some((line) => line.startsWith('UPTIME_PROBE_INTERVAL:'))).toBe(true)
  })
})
