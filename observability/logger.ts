import { pino, type Logger } from 'pino'

export type { Logger }

/**
 * Creates the JSON logger every process writes to stdout. Fields that could hold secrets are
 * replaced, wherever they sit in a logged object.
 */
export function createLogger(options: { level: string; name: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'databaseUrl', '*.databaseUrl'],
      censor: '[redacted]',
    },
  })
}
