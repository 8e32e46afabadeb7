import { describe, expect, it } from 'vitest'
import { createErrorReporter } from '../../observability/error-reporting'
import { createLogger } from '../../observability/logger'
import { scrubText, scrubValue } from '../../observability/scrub'

describe('error reporting', () => {
  it('logs one line when Sentry is off', () => {
    const lines: string[] = []
    const logger = createLogger({ level: 'info', name: 'api', destination: { write: (line: string) => void lines.push(line) } })

    const reporter = createErrorReporter({ sentry: { dsn: null, environment: 'test', release: 'r' }, service: 'api', logger })
    reporter.captureException(new Error('dropped'))

    expect(reporter.enabled).toBe(false)
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'Sentry is off because SENTRY_DSN is not set', service: 'api' })
  })

  it('scrubs credentials from text', () => {
    expect(scrubText('postgres://app:s3cr3t@db:5432/school_ops')).toBe('postgres://app:[redacted]@db:5432/school_ops')
    expect(scrubText('Authorization: Bearer sot_live_token')).toBe('Authorization: Bearer [redacted]')
    expect(scrubText('token sot_abc-123 was revoked')).toBe('token [redacted] was revoked')
    expect(scrubText('https://school.example/healthz answered 503')).toBe('https://school.example/healthz answered 503')
  })

  it('scrubs secret fields at any depth', () => {
    const scrubbed = scrubValue({
      extra: { password: 'p', nested: [{ apiKey: 'k', sessionCookie: 'c', note: 'see postgres://u:pw@h/d' }] },
      tags: { requestId: 'req-1' },
    })

    expect(scrubbed).toEqual({
      extra: { password: '[redacted]', nested: [{ apiKey: '[redacted]', sessionCookie: '[redacted]', note: 'see postgres://u:[redacted]@h/d' }] },
      tags: { requestId: 'req-1' },
    })
  })
})
