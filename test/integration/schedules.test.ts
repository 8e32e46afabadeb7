import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../observability/logger'
import { MIRROR_VERIFY_SCHEDULE_ID } from '../../domain/mirror'
import { BACKUP_RPO_SCHEDULE_ID, UPTIME_SCHEDULE_ID } from '../../domain/monitoring'
import { backupScheduleId } from '../../domain/workflow-ids'
import { ensureSchedules } from '../../worker/schedules'
import { testConfig, uniqueName } from '../support'
import { temporalAddressForTests } from '../temporal-support'

describe('backup schedules', () => {
  const database = uniqueName('scheduled_db')
  const logger = createLogger({ level: 'silent', name: 'test' })
  let connection: Connection
  let client: Client

  beforeAll(async () => {
    connection = await Connection.connect({ address: temporalAddressForTests() })
    client = new Client({ connection })
  })

  afterAll(async () => {
    for (const scheduleId of [backupScheduleId(database), UPTIME_SCHEDULE_ID, BACKUP_RPO_SCHEDULE_ID, MIRROR_VERIFY_SCHEDULE_ID]) {
      await client?.schedule.getHandle(scheduleId).delete().catch(() => undefined)
    }
    await connection?.close()
  })

  it('creates the schedule, then updates it in place', async () => {
    const first = testConfig({ BACKUP_DATABASES: database, BACKUP_SCHEDULE_CRON: '0 2 * * *', BACKUP_SCHEDULE_TIMEZONE: 'Europe/Lisbon' })
    const second = testConfig({ BACKUP_DATABASES: database, BACKUP_SCHEDULE_CRON: '30 3 * * *', BACKUP_SCHEDULE_TIMEZONE: 'Asia/Kolkata' })

    await ensureSchedules(client, first, logger)
    await ensureSchedules(client, first, logger)
    await ensureSchedules(client, second, logger)
    const schedule = await client.schedule.getHandle(backupScheduleId(database)).describe()

    expect(schedule.spec.timezone).toBe('Asia/Kolkata')
    expect(schedule.spec.calendars?.[0]?.hour).toEqual([{ start: 3, end: 3, step: 1 }])
    expect(schedule.spec.calendars?.[0]?.minute).toEqual([{ start: 30, end: 30, step: 1 }])
    expect(schedule.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP)
    const verify = await client.schedule.getHandle(MIRROR_VERIFY_SCHEDULE_ID).describe()
    expect(verify.spec.timezone).toBe('Asia/Kolkata')
    expect(verify.action.type).toBe('startWorkflow')
    expect(verify.action.type === 'startWorkflow' ? verify.action.workflowType : null).toBe('mirrorVerifyWorkflow')
    expect(schedule.policies.catchupWindow).toBe(6 * 3_600_000)
    expect(schedule.action.type).toBe('startWorkflow')
    if (schedule.action.type === 'startWorkflow') {
      expect(schedule.action.workflowId).toBe(`backup-${database}`)
      expect(schedule.action.args).toEqual([{ database, trigger: 'schedule' }])
    }
  })
})
