import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common'
import type { Logger } from '../observability/logger'

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
}

/**
 * Sends the Temporal SDK's logs, including workflow and activity logs with their workflow
 * and activity ids, through the process's JSON logger.
 */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const { error, ...fields } = (meta ?? {}) as LogMetadata & { error?: unknown }
    const payload = error === undefined ? fields : { ...fields, err: error }
    this.logger[LEVELS[level]](payload, message)
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta)
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta)
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta)
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta)
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta)
  }
}
