/** The customer's disaster-recovery checklist, in order, as workflow stages. */
export const DR_STAGES = ['identify-failure', 'provision', 'deploy', 'restore', 'verify'] as const
export type DrStage = (typeof DR_STAGES)[number]

export const DR_STAGE_TITLES: Record<DrStage, string> = {
  'identify-failure': 'Identify the point of failure (database, app server, storage)',
  provision: 'Provision a new environment if necessary',
  deploy: 'Deploy the latest stable release',
  restore: 'Restore the latest database backup',
  verify: 'Verify application connectivity and role-based access',
}

/** Recovery time objective: the app is back within four hours of the DR run starting. */
export const RTO_MS = 4 * 3_600_000
/** Recovery point objective for the database: at most 24 hours of writes lost. */
export const DATABASE_RPO_MS = 24 * 3_600_000

export type StageStatus = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped'

export interface StageAttempt {
  attempt: number
  startedAt: string
  endedAt: string | null
  outcome: 'running' | 'succeeded' | 'failed'
  error: string | null
}

export interface StageRecord {
  stage: DrStage
  status: StageStatus
  attempts: StageAttempt[]
  startedAt: string | null
  endedAt: string | null
  /** A one-line result for people, such as the diagnosis or the backup restored. */
  summary: string | null
  /** Why on-call skipped the stage, or what it waits for. */
  note: string | null
}

export interface PointOfFailure {
  database: string
  app: string
  storage: string
  /** Components whose probe failed. */
  failed: ('database' | 'app' | 'storage')[]
}

/** The record of one DR run: small, so it fits in a query result and a report object. */
export interface DrReport {
  workflowId: string
  runId: string
  reason: string
  requestedBy: string
  targetDatabase: string
  startedAt: string
  endedAt: string | null
  status: 'running' | 'waiting' | 'succeeded' | 'failed' | 'aborted'
  currentStage: DrStage | null
  stages: StageRecord[]
  diagnosis: PointOfFailure | null
  backup: { backupId: string; manifestKey: string; dumpedAt: string; ageHours: number } | null
  alerts: string[]
  /** Milliseconds from the run's start to the end of verification. */
  recoveryTimeMs: number | null
  /** When the restored data was taken: the backup's dump time. */
  recoveryPoint: string | null
}

export function newDrReport(input: { workflowId: string; runId: string; reason: string; requestedBy: string; targetDatabase: string; startedAt: string }): DrReport {
  return {
    ...input,
    endedAt: null,
    status: 'running',
    currentStage: null,
    stages: DR_STAGES.map((stage) => ({ stage, status: 'pending', attempts: [], startedAt: null, endedAt: null, summary: null, note: null })),
    diagnosis: null,
    backup: null,
    alerts: [],
    recoveryTimeMs: null,
    recoveryPoint: null,
  }
}

/** How many attempts each stage makes before it waits for on-call, and the pause between them. */
export const STAGE_ATTEMPTS: Record<DrStage, { max: number; backoffMs: number }> = {
  'identify-failure': { max: 3, backoffMs: 5_000 },
  provision: { max: 3, backoffMs: 10_000 },
  deploy: { max: 2, backoffMs: 30_000 },
  restore: { max: 3, backoffMs: 30_000 },
  verify: { max: 3, backoffMs: 15_000 },
}
