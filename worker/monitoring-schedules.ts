import { ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client'
import type { Config } from '../config'
import { BACKUP_RPO_SCHEDULE_ID, MIRROR_RPO_SCHEDULE_ID, UPTIME_SCHEDULE_ID } from '../domain/monitoring'
import { OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER } from '../domain/search-attributes'

// A probe or check missed while the worker was down is worthless later: the next one runs soon.
const MONITORING_CATCHUP_WINDOW = '1 minute'

/** Builds the schedule that probes the app's URL every UPTIME_PROBE_INTERVAL. */
export function uptimeScheduleOptions(config: Config): ScheduleOptions {
  const { uptime } = config.monitoring

  return {
    scheduleId: UPTIME_SCHEDULE_ID,
    spec: { intervals: [{ every: uptime.interval }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'uptimeWorkflow',
      workflowId: UPTIME_SCHEDULE_ID,
      taskQueue: config.temporal.taskQueue,
      args: [{ url: uptime.url, timeoutMs: uptime.timeoutMs, failureThreshold: uptime.failureThreshold }],
      typedSearchAttributes: [
        { key: OPS_KIND, value: 'uptime' },
        { key: OPS_TARGET, value: uptime.url },
        { key: OPS_TRIGGER, value: 'schedule' },
        { key: OPS_STATUS, value: 'queued' },
      ],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: MONITORING_CATCHUP_WINDOW, pauseOnFailure: false },
    state: { note: `uptime probe of ${uptime.url}, managed by the school-ops worker` },
  }
}

/** Builds the schedule that checks each backed-up database against the RPO every BACKUP_RPO_CHECK_INTERVAL. */
export function backupRpoScheduleOptions(config: Config): ScheduleOptions {
  return {
    scheduleId: BACKUP_RPO_SCHEDULE_ID,
    spec: { intervals: [{ every: config.monitoring.backupRpoCheckInterval }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'backupRpoWorkflow',
      workflowId: BACKUP_RPO_SCHEDULE_ID,
      taskQueue: config.temporal.taskQueue,
      args: [{ databases: config.backup.databases }],
      typedSearchAttributes: [
        { key: OPS_KIND, value: 'backup-rpo' },
        { key: OPS_TARGET, value: config.backup.databases.join(',') },
        { key: OPS_TRIGGER, value: 'schedule' },
        { key: OPS_STATUS, value: 'queued' },
      ],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: MONITORING_CATCHUP_WINDOW, pauseOnFailure: false },
    state: { note: 'backup RPO check, managed by the school-ops worker' },
  }
}

/** Builds the schedule that compares the newest good mirror run with the 1-hour RPO. */
export function mirrorRpoScheduleOptions(config: Config): ScheduleOptions {
  return {
    scheduleId: MIRROR_RPO_SCHEDULE_ID,
    spec: { intervals: [{ every: config.monitoring.backupRpoCheckInterval }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'mirrorRpoWorkflow',
      workflowId: MIRROR_RPO_SCHEDULE_ID,
      taskQueue: config.temporal.taskQueue,
      args: [],
      typedSearchAttributes: [
        { key: OPS_KIND, value: 'mirror-rpo' },
        { key: OPS_TARGET, value: 'private-storage' },
        { key: OPS_TRIGGER, value: 'schedule' },
        { key: OPS_STATUS, value: 'queued' },
      ],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: MONITORING_CATCHUP_WINDOW, pauseOnFailure: false },
    state: { note: 'mirror RPO check, managed by the school-ops worker' },
  }
}
