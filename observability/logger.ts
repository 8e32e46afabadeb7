import { pino, type DestinationStream, type Logger } from 'pino'

export type { Logger }

// pino matches each path at its exact depth, so common nestings are listed one by one.
const SECRET_FIELDS = ['password', 'token', 'authorization', 'cookie', 'databaseUrl', 'dsn', 'webhookUrl', 'secret']
const REDACTED_PATHS = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`])

/**
 * Creates the JSON logger every process writes to stdout, or to `destination` in tests.
 * Fields that could hold secrets are replaced up to three levels deep in a logged object.
 */
export function createLogger(options: { level: string; name: string; destination?: DestinationStream }): Logger {
  const settings = {
    name: options.name,
    level: options.level,
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  }
  return options.destination ? pino(settings, options.destination) : pino(settings)
}
