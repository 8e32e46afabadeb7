import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client'
import type { Config } from '../config'
import { OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER } from '../domain/search-attributes'
import { MIRROR_SCHEDULE_ID, MIRROR_VERIFY_SCHEDULE_ID } from '../domain/mirror'
import { RETENTION_SWEEP_SCHEDULE_ID } from '../domain/retention-runs'
import { backupPruneScheduleId, backupScheduleId } from '../domain/workflow-ids'
import type { Logger } from '../observability/logger'
import { backupRpoScheduleOptions, mirrorRpoScheduleOptions, uptimeScheduleOptions } from './monitoring-schedules'

/** The daily backup schedule of one database, as configured. */
export function backupScheduleOptions(config: Config, database: string): ScheduleOptions {
  const id = backupScheduleId(database)

  return {
    scheduleId: id,
    spec: { cronExpressions: [config.backup.schedule.cron], timezone: config.backup.schedule.timezone },
    action: {
      type: 'startWorkflow',
      workflowType: 'backupWorkflow',
      workflowId: id,
      taskQueue: config.temporal.taskQueue,
      args: [{ database, trigger: 'schedule' }],
      typedSearchAttributes: [
        { key: OPS_KIND, value: 'backup' },
        { key: OPS_TARGET, value: database },
        { key: OPS_TRIGGER, value: 'schedule' },
        { key: OPS_STATUS, value: 'queued' },
      ],
    },
    policies: {
      // A backup still running when the next one is due makes the next one wait a day.
      overlap: ScheduleOverlapPolicy.SKIP,
      // Set explicitly: SDK docs and server defaults have disagreed on this value.
      catchupWindow: config.backup.schedule.catchupWindow,
      pauseOnFailure: false,
    },
    state: { note: `daily backup of ${database}, managed by the school-ops worker` },
  }
}

/** Builds the daily schedule that prunes one database's backups down to the retention counts. */
export function backupPruneScheduleOptions(config: Config, database: string): ScheduleOptions {
  const id = backupPruneScheduleId(database)

  return {
    scheduleId: id,
    spec: { cronExpressions: [config.backup.retention.pruneCron], timezone: config.backup.schedule.timezone },
    action: {
      type: 'startWorkflow',
      workflowType: 'backupRetentionWorkflow',
      workflowId: id,
      taskQueue: config.temporal.taskQueue,
      args: [{ database }],
      typedSearchAttributes: [
        { key: OPS_KIND, value: 'backup-prune' },
        { key: OPS_TARGET, value: database },
        { key: OPS_TRIGGER, value: 'schedule' },
        { key: OPS_STATUS, value: 'queued' },
      ],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: config.backup.schedule.catchupWindow, pauseOnFailure: false },
    state: { note: `daily pruning of the backups of ${database}, managed by the school-ops worker` },
  }
}

/** Builds the schedule of the mirror of private storage, every MIRROR_INTERVAL. */
export function mirrorScheduleOptions(config: Config, interval: string): ScheduleOptions {
  return {
    scheduleId: MIRROR_SCHEDULE_ID,
    spec: { intervals: [{ every: interval }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'mirrorWorkflow',
      workflowId: MIRROR_SCHEDULE_ID,
      taskQueue: config.temporal.taskQueue,
      args: [{}],
      typedSearchAttributes: [
        { key: OPS_KIND, value: 'mirror' },
        { key: OPS_TARGET, value: 'private-storage' },
        { key: OPS_TRIGGER, value: 'schedule' },
        { key: OPS_STATUS, value: 'queued' },
      ],
    },
    // A run still copying when the next is due makes the next one skip; it would find the same work.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: interval, pauseOnFailure: false },
    state: { note: 'mirror of private storage, managed by the school-ops worker' },
  }
}

/** Builds the daily schedule that compares primary and mirror, at 05:00 in the backup time zone. */
export function mirrorVerifyScheduleOptions(config: Config): ScheduleOptions {
  return {
    scheduleId: MIRROR_VERIFY_SCHEDULE_ID,
    spec: { cronExpressions: ['0 5 * * *'], timezone: config.backup.schedule.timezone },
    action: {
      type: 'startWorkflow',
      workflowType: 'mirrorVerifyWorkflow',
      workflowId: MIRROR_VERIFY_SCHEDULE_ID,
      taskQueue: config.temporal.taskQueue,
      args: [{}],
      typedSearchAttributes: [
        { key: OPS_KIND, value: 'mirror' },
        { key: OPS_TARGET, value: 'mirror' },
        { key: OPS_TRIGGER, value: 'schedule' },
        { key: OPS_STATUS, value: 'queued' },
      ],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: config.backup.schedule.catchupWindow, pauseOnFailure: false },
    state: { note: 'daily verification of the mirror of private storage, managed by the school-ops worker' },
  }
}

/** Builds the daily schedule that starts each school's retention purge. */
export function retentionScheduleOptions(config: Config): ScheduleOptions {
  return {
    scheduleId: RETENTION_SWEEP_SCHEDULE_ID,
    spec: { cronExpressions: [config.retention.purgeCron], timezone: config.backup.schedule.timezone },
    action: {
      type: 'startWorkflow',
      workflowType: 'retentionSweepWorkflow',
      workflowId: RETENTION_SWEEP_SCHEDULE_ID,
      taskQueue: config.temporal.taskQueue,
      args: [{}],
      typedSearchAttributes: [
        { key: OPS_KIND, value: 'retention' },
        { key: OPS_TARGET, value: 'every-school' },
        { key: OPS_TRIGGER, value: 'schedule' },
        { key: OPS_STATUS, value: 'queued' },
      ],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: config.backup.schedule.catchupWindow, pauseOnFailure: false },
    state: { note: 'daily retention purge of every school, managed by the school-ops worker' },
  }
}

/**
 * Creates each backup and monitoring schedule, or updates it to the current configuration
 * when it exists, so restarting the worker with a new time or interval takes effect.
 */
export async function ensureSchedules(client: Client, config: Config, logger: Logger): Promise<void> {
  const schedules = [
    ...config.backup.databases.map((database) => backupScheduleOptions(config, database)),
    ...config.backup.databases.map((database) => backupPruneScheduleOptions(config, database)),
    ...(config.mirror ? [mirrorScheduleOptions(config, config.mirror.interval), mirrorVerifyScheduleOptions(config), mirrorRpoScheduleOptions(config)] : []),
    uptimeScheduleOptions(config),
    backupRpoScheduleOptions(config),
    retentionScheduleOptions(config),
  ]

  for (const options of schedules) {
    const spec = { cron: options.spec.cronExpressions, every: options.spec.intervals?.map((interval) => interval.every) }
    try {
      await client.schedule.create(options)
      logger.info({ scheduleId: options.scheduleId, ...spec }, 'schedule created')
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error

      await client.schedule.getHandle(options.scheduleId).update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
      }))
      logger.info({ scheduleId: options.scheduleId, ...spec }, 'schedule updated')
    }
  }
}
