import { z } from 'zod'
import { PRIVATE_PROVIDERS, STORAGE_PROVIDERS, type PrivateProvider, type StorageProvider } from '../domain/documents'
import { MAX_SIGNED_URL_SECONDS } from '../domain/storage-keys'
import { parseRetentionYears, retentionRules, type RetentionRules } from '../domain/retention'
import packageJson from '../package.json' with { type: 'json' }
import {
  temporalConnectionConfigOf,
  temporalConnectionEnvShape,
  temporalConnectionProblems,
  workerLimitsConfigOf,
  type TemporalConnectionConfig,
  type WorkerLimitsConfig,
} from './temporal'

const EXAMPLE_ADMIN_PASSWORD = 'change-me-local-admin-password'

const port = z.coerce.number().int().min(1).max(65535)

const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must start with postgres:// or postgresql://')

/** Comma-separated list, with surrounding spaces and empty items dropped. */
const nameList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  )

/** A Temporal duration such as `90s`, `6h` or `1d`. */
const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration such as 30m, 6h or 1d')

/** Five cron fields; Temporal parses the rest, so this catches typos before start-up. */
const cron = z
  .string()
  .regex(/^\S+(\s+\S+){4}$/, 'must be a cron expression of five fields, such as "0 2 * * *"')

const httpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'must be an http:// or https:// URL')

const timeZone = z
  .string()
  .min(1)
  .superRefine((value, context) => {
    if (!isValidTimeZone(value)) context.addIssue({ code: 'custom', message: `unknown time zone "${value}"` })
  })

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: postgresUrl,

  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('school-ops'),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: httpUrl.optional(),
  ...temporalConnectionEnvShape,

  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  NEXT_PUBLIC_APP_URL: httpUrl,
  BOOTSTRAP_ADMIN_EMAIL: z.email().optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  BOOTSTRAP_SCHOOL_NAME: z.string().min(1).max(200).default('Our School'),
  SESSION_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(5),
  LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(10000).default(20),
  LOGIN_WINDOW_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),

  DR_TARGET_APP_URL: httpUrl.optional(),
  DR_DEPLOY_HOOK_URL: httpUrl.optional(),
  DR_DEPLOY_COMMAND: z.string().min(1).optional(),
  DR_HEALTH_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(3600).default(600),

  STORAGE_PROVIDER: z.enum(STORAGE_PROVIDERS).default('local'),
  STORAGE_PRIVATE_PROVIDER: z.enum(PRIVATE_PROVIDERS).default('local'),
  STORAGE_LOCAL_ROOT: z.string().min(1).default('.data/storage/private'),
  STORAGE_SIGNED_URL_MINUTES: z.coerce.number().int().min(1).max(MAX_SIGNED_URL_SECONDS / 60).default(15),
  STORAGE_LINK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  DOCUMENT_MAX_UPLOAD_MB: z.coerce.number().int().min(1).max(2048).default(25),
  S3_ENDPOINT: httpUrl.optional(),
  S3_PUBLIC_ENDPOINT: httpUrl.optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name').optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_SESSION_TOKEN: z.string().min(1).optional(),
  S3_CREDENTIALS_EXPIRE_AT: z.iso.datetime({ offset: true }).optional(),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('true'),
  CLOUDINARY_CLOUD_NAME: z.string().min(1).optional(),
  CLOUDINARY_API_KEY: z.string().min(1).optional(),
  CLOUDINARY_API_SECRET: z.string().min(1).optional(),
  CLOUDINARY_UPLOAD_PREFIX: httpUrl.default('https://api.cloudinary.com'),
  CLOUDINARY_DELIVERY_HOST: z.string().regex(/^[a-zA-Z0-9.-]+(:\d+)?$/, 'must be a host name, with an optional :port').default('res.cloudinary.com'),
  // NOTE: the 5 MiB floor is our reading of Cloudinary's smallest chunk and was not checked
  // against its documentation. The SDK's own default is 20,000,000 bytes (cloudinary 2.11).
  CLOUDINARY_CHUNK_SIZE_MB: z.coerce.number().int().min(5).max(100).default(20),

  BACKUP_DATABASES: nameList
    .refine((names) => names.every((name) => /^[a-zA-Z_][a-zA-Z0-9_-]{0,62}$/.test(name)), 'must list database names of letters, digits, _ or -')
    .optional(),
  BACKUP_FORMAT: z.enum(['custom', 'plain']).default('custom'),
  BACKUP_SCHEDULE_CRON: cron.default('0 2 * * *'),
  BACKUP_SCHEDULE_TIMEZONE: timeZone.default('UTC'),
  BACKUP_CATCHUP_WINDOW: duration.default('6h'),
  BACKUP_RESTORE_JOBS: z.coerce.number().int().min(1).max(64).default(2),
  // At least one daily backup is kept, so the newest verified backup always survives pruning.
  BACKUP_KEEP_DAILY: z.coerce.number().int().min(1).max(3650).default(7),
  BACKUP_KEEP_WEEKLY: z.coerce.number().int().min(0).max(520).default(4),
  BACKUP_KEEP_MONTHLY: z.coerce.number().int().min(0).max(1200).default(12),
  BACKUP_PRUNE_CRON: cron.default('30 4 * * *'),

  // Document retention: periods of the categories outside the financial and academic classes,
  // such as `notice=2,sensitive=10`, and when the daily purge runs.
  RETENTION_YEARS: z
    .string()
    .default('')
    .superRefine((text, context) => {
      try {
        parseRetentionYears(text)
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message })
      }
    }),
  RETENTION_PURGE_CRON: cron.default('0 3 * * *'),

  // Secondary copy of private storage: a folder, or a bucket on the S3_* server; off disables it.
  MIRROR_PROVIDER: z.enum(['local', 's3', 'off']).default('local'),
  MIRROR_LOCAL_ROOT: z.string().min(1).default('.data/storage/mirror'),
  MIRROR_S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name').optional(),
  MIRROR_INTERVAL: duration.default('1h'),
  MIRROR_PARALLELISM: z.coerce.number().int().min(1).max(64).default(4),
  BACKUP_SCRATCH_PREFIX: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,30}$/, 'must be a lowercase identifier of at most 31 characters')
    .default('restore_drill'),

  // The SDK drops every event, with only a console line, when the DSN does not have this shape.
  SENTRY_DSN: z
    .string()
    .regex(/^https?:\/\/\w+(:\w+)?@[\w.-]+(:\d+)?\/\S+$/, 'must be a Sentry DSN such as https://key@o1.ingest.sentry.io/2')
    .optional(),
  SENTRY_ENVIRONMENT: z.string().min(1).max(64).optional(),
  SENTRY_RELEASE: z.string().min(1).max(200).optional(),
  ALERT_WEBHOOK_URL: httpUrl.optional(),
  UPTIME_PROBE_INTERVAL: duration.default('1m'),
  UPTIME_PROBE_PATH: z.string().regex(/^\/\S*$/, 'must be a path starting with /').default('/healthz'),
  UPTIME_PROBE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(60).default(10),
  UPTIME_FAILURE_THRESHOLD: z.coerce.number().int().min(1).max(100).default(3),
  BACKUP_RPO_CHECK_INTERVAL: duration.default('15m'),
})

export type Env = z.input<typeof envSchema>

/** Names of every environment variable the configuration reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape)

/** The validated configuration every process of the system reads. */
export interface Config {
  env: 'development' | 'test' | 'production'
  logLevel: string
  database: { url: string; name: string }
  temporal: {
    /** Set when an external server is used; unset means the dev server is started locally. */
    address: string | undefined
    namespace: string
    taskQueue: string
    devPort: number
    uiPort: number
    /** The Temporal Web UI that the web app's ops pages link each run to. */
    uiUrl: string
    /** TLS and API key for a Temporal cluster or Temporal Cloud. */
    connection: TemporalConnectionConfig
  }
  /** Concurrency limits of each worker process. */
  worker: WorkerLimitsConfig
  api: { host: string; port: number; publicUrl: string }
  auth: {
    /** The first admin, created when no user exists yet. */
    bootstrap: { email: string; password: string; schoolName: string } | null
    sessionHours: number
    maxFailuresPerAccount: number
    maxFailuresPerAddress: number
    windowMinutes: number
  }
  storage: StorageConfig
  dr: {
    /** The new app's URL; the deploy stage waits for it and verification signs in there. */
    targetAppUrl: string
    deployHookUrl: string | null
    deployCommand: string | null
    healthTimeoutMs: number
  }
  backup: {
    databases: string[]
    format: 'custom' | 'plain'
    schedule: { cron: string; timezone: string; catchupWindow: string }
    restoreJobs: number
    scratchPrefix: string
    /** How many daily, weekly and monthly backups to keep, and when pruning runs. */
    retention: { keepDaily: number; keepWeekly: number; keepMonthly: number; pruneCron: string }
  }
  /** Retention rules of every document category, and when the daily purge runs. */
  retention: { rules: RetentionRules; purgeCron: string }
  /** The mirror of private storage; null when MIRROR_PROVIDER is off. */
  mirror: { provider: 'local' | 's3'; localRoot: string; s3Bucket: string | null; interval: string; parallelism: number } | null
  monitoring: {
    /** Sentry is off when `dsn` is null. */
    sentry: { dsn: string | null; environment: string; release: string }
    /** Receives a JSON POST for every alert raised or resolved; null sends alerts to Sentry only. */
    alertWebhookUrl: string | null
    uptime: { url: string; interval: string; timeoutMs: number; failureThreshold: number }
    /** How often the newest verified backup of each database is compared with the 24-hour RPO. */
    backupRpoCheckInterval: string
  }
}

/** Storage settings: the providers of document files and backups, and their credentials. */
export interface StorageConfig {
  /** Provider of new document files; `local` and `s3` are the fallbacks when Cloudinary fails. */
  provider: StorageProvider
  /** Provider of backups and of the private categories. */
  privateProvider: PrivateProvider
  localRoot: string
  signedUrlMinutes: number
  /** Secret that signs download links of local files; null means one per process. */
  linkSecret: string | null
  maxUploadBytes: number
  s3: {
    endpoint: string
    publicEndpoint: string
    region: string
    bucket: string
    forcePathStyle: boolean
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
    credentialsExpireAt: Date | null
  } | null
  cloudinary: {
    cloudName: string
    apiKey: string
    apiSecret: string
    uploadPrefix: string
    deliveryHost: string
    chunkSizeBytes: number
  } | null
}

/** Thrown when the environment is invalid; the message lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((line) => `  ${line}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/** Parses the environment into a Config, reporting every invalid variable at once. */
export function loadConfig(rawEnv: Record<string, string | undefined> = process.env): Config {
  // An empty value, as `.env.example` leaves optional ones, means the variable is unset.
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, value]) => value !== ''))
  const result = envSchema.safeParse(env)

  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const variable = issue.path.join('.')
        const message = issue.code === 'invalid_type' && env[variable] === undefined ? 'is missing' : issue.message
        return `${variable}: ${message}`
      }),
    )
  }

  const parsed = result.data
  const problems: string[] = []

  if (parsed.NODE_ENV === 'production' && parsed.BOOTSTRAP_ADMIN_PASSWORD === EXAMPLE_ADMIN_PASSWORD) {
    problems.push('BOOTSTRAP_ADMIN_PASSWORD: is the example value from .env.example; set a password of your own')
  }
  if ((parsed.BOOTSTRAP_ADMIN_EMAIL === undefined) !== (parsed.BOOTSTRAP_ADMIN_PASSWORD === undefined)) {
    problems.push('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD: set both or neither')
  }
  problems.push(...storageProblems(parsed))
  problems.push(...temporalConnectionProblems(parsed))
  if (problems.length > 0) throw new ConfigError(problems)

  const databaseName = decodeURIComponent(new URL(parsed.DATABASE_URL).pathname.slice(1))

  return {
    env: parsed.NODE_ENV,
    logLevel: parsed.LOG_LEVEL,
    database: { url: parsed.DATABASE_URL, name: databaseName },
    temporal: {
      address: parsed.TEMPORAL_ADDRESS,
      namespace: parsed.TEMPORAL_NAMESPACE,
      taskQueue: parsed.TEMPORAL_TASK_QUEUE,
      devPort: parsed.TEMPORAL_DEV_PORT,
      uiPort: parsed.TEMPORAL_UI_PORT,
      uiUrl: (parsed.TEMPORAL_UI_URL ?? `http://127.0.0.1:${parsed.TEMPORAL_UI_PORT}`).replace(/\/+$/, ''),
      connection: temporalConnectionConfigOf(parsed),
    },
    worker: workerLimitsConfigOf(parsed),
    api: {
      host: parsed.API_HOST,
      port: parsed.API_PORT,
      publicUrl: parsed.NEXT_PUBLIC_APP_URL,
    },
    auth: {
      bootstrap:
        parsed.BOOTSTRAP_ADMIN_EMAIL && parsed.BOOTSTRAP_ADMIN_PASSWORD
          ? { email: parsed.BOOTSTRAP_ADMIN_EMAIL, password: parsed.BOOTSTRAP_ADMIN_PASSWORD, schoolName: parsed.BOOTSTRAP_SCHOOL_NAME }
          : null,
      sessionHours: parsed.SESSION_HOURS,
      maxFailuresPerAccount: parsed.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerAddress: parsed.LOGIN_MAX_FAILURES_PER_ADDRESS,
      windowMinutes: parsed.LOGIN_WINDOW_MINUTES,
    },
    storage: storageConfigOf(parsed),
    dr: {
      targetAppUrl: (parsed.DR_TARGET_APP_URL ?? parsed.NEXT_PUBLIC_APP_URL).replace(/\/+$/, ''),
      deployHookUrl: parsed.DR_DEPLOY_HOOK_URL ?? null,
      deployCommand: parsed.DR_DEPLOY_COMMAND ?? null,
      healthTimeoutMs: parsed.DR_HEALTH_TIMEOUT_SECONDS * 1000,
    },
    backup: {
      databases: parsed.BACKUP_DATABASES?.length ? parsed.BACKUP_DATABASES : [databaseName],
      format: parsed.BACKUP_FORMAT,
      schedule: {
        cron: parsed.BACKUP_SCHEDULE_CRON,
        timezone: parsed.BACKUP_SCHEDULE_TIMEZONE,
        catchupWindow: parsed.BACKUP_CATCHUP_WINDOW,
      },
      restoreJobs: parsed.BACKUP_RESTORE_JOBS,
      scratchPrefix: parsed.BACKUP_SCRATCH_PREFIX,
      retention: {
        keepDaily: parsed.BACKUP_KEEP_DAILY,
        keepWeekly: parsed.BACKUP_KEEP_WEEKLY,
        keepMonthly: parsed.BACKUP_KEEP_MONTHLY,
        pruneCron: parsed.BACKUP_PRUNE_CRON,
      },
    },
    retention: { rules: retentionRules(parseRetentionYears(parsed.RETENTION_YEARS)), purgeCron: parsed.RETENTION_PURGE_CRON },
    mirror:
      parsed.MIRROR_PROVIDER === 'off'
        ? null
        : {
            provider: parsed.MIRROR_PROVIDER,
            localRoot: parsed.MIRROR_LOCAL_ROOT,
            s3Bucket: parsed.MIRROR_S3_BUCKET ?? null,
            interval: parsed.MIRROR_INTERVAL,
            parallelism: parsed.MIRROR_PARALLELISM,
          },
    monitoring: {
      sentry: {
        dsn: parsed.SENTRY_DSN ?? null,
        environment: parsed.SENTRY_ENVIRONMENT ?? parsed.NODE_ENV,
        release: parsed.SENTRY_RELEASE ?? `school-ops@${packageJson.version}`,
      },
      alertWebhookUrl: parsed.ALERT_WEBHOOK_URL ?? null,
      uptime: {
        url: `${parsed.NEXT_PUBLIC_APP_URL.replace(/\/+$/, '')}${parsed.UPTIME_PROBE_PATH}`,
        interval: parsed.UPTIME_PROBE_INTERVAL,
        timeoutMs: parsed.UPTIME_PROBE_TIMEOUT_SECONDS * 1000,
        failureThreshold: parsed.UPTIME_FAILURE_THRESHOLD,
      },
      backupRpoCheckInterval: parsed.BACKUP_RPO_CHECK_INTERVAL,
    },
  }
}

type ParsedEnv = z.output<typeof envSchema>

function storageProblems(parsed: ParsedEnv): string[] {
  const problems: string[] = []
  const s3Keys = [parsed.S3_ENDPOINT, parsed.S3_BUCKET, parsed.S3_ACCESS_KEY_ID, parsed.S3_SECRET_ACCESS_KEY]
  const usesS3 = parsed.STORAGE_PROVIDER === 's3' || parsed.STORAGE_PRIVATE_PROVIDER === 's3'
  if ((usesS3 || s3Keys.some((value) => value !== undefined)) && s3Keys.some((value) => value === undefined)) {
    problems.push('S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set all four to use S3 storage')
  }
  const cloudinaryKeys = [parsed.CLOUDINARY_CLOUD_NAME, parsed.CLOUDINARY_API_KEY, parsed.CLOUDINARY_API_SECRET]
  if (parsed.MIRROR_PROVIDER === 's3' && (!parsed.MIRROR_S3_BUCKET || !parsed.S3_ENDPOINT || !parsed.S3_ACCESS_KEY_ID || !parsed.S3_SECRET_ACCESS_KEY)) {
    problems.push('MIRROR_S3_BUCKET: set it and S3_ENDPOINT, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY to mirror to S3')
  }
  const usesCloudinary = parsed.STORAGE_PROVIDER === 'cloudinary'
  if ((usesCloudinary || cloudinaryKeys.some((value) => value !== undefined)) && cloudinaryKeys.some((value) => value === undefined)) {
    problems.push('CLOUDINARY_CLOUD_NAME, CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET: set all three to use Cloudinary')
  }
  return problems
}

function storageConfigOf(parsed: ParsedEnv): StorageConfig {
  const s3 =
    parsed.S3_ENDPOINT && parsed.S3_BUCKET && parsed.S3_ACCESS_KEY_ID && parsed.S3_SECRET_ACCESS_KEY
      ? {
          endpoint: parsed.S3_ENDPOINT,
          publicEndpoint: parsed.S3_PUBLIC_ENDPOINT ?? parsed.S3_ENDPOINT,
          region: parsed.S3_REGION,
          bucket: parsed.S3_BUCKET,
          forcePathStyle: parsed.S3_FORCE_PATH_STYLE === 'true',
          credentials: { accessKeyId: parsed.S3_ACCESS_KEY_ID, secretAccessKey: parsed.S3_SECRET_ACCESS_KEY, sessionToken: parsed.S3_SESSION_TOKEN },
          credentialsExpireAt: parsed.S3_CREDENTIALS_EXPIRE_AT ? new Date(parsed.S3_CREDENTIALS_EXPIRE_AT) : null,
        }
      : null
  const cloudinary =
    parsed.CLOUDINARY_CLOUD_NAME && parsed.CLOUDINARY_API_KEY && parsed.CLOUDINARY_API_SECRET
      ? {
          cloudName: parsed.CLOUDINARY_CLOUD_NAME,
          apiKey: parsed.CLOUDINARY_API_KEY,
          apiSecret: parsed.CLOUDINARY_API_SECRET,
          uploadPrefix: parsed.CLOUDINARY_UPLOAD_PREFIX.replace(/\/+$/, ''),
          deliveryHost: parsed.CLOUDINARY_DELIVERY_HOST,
          chunkSizeBytes: parsed.CLOUDINARY_CHUNK_SIZE_MB * 1024 * 1024,
        }
      : null
  return {
    provider: parsed.STORAGE_PROVIDER,
    privateProvider: parsed.STORAGE_PRIVATE_PROVIDER,
    localRoot: parsed.STORAGE_LOCAL_ROOT,
    signedUrlMinutes: parsed.STORAGE_SIGNED_URL_MINUTES,
    linkSecret: parsed.STORAGE_LINK_SECRET ?? null,
    maxUploadBytes: parsed.DOCUMENT_MAX_UPLOAD_MB * 1024 * 1024,
    s3,
    cloudinary,
  }
}

/** Returns the Temporal address to connect to: the external server, else the local dev server. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.devPort}`
}

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/**
 * Loads the config for a process entry point, or prints the problems and exits with status 1.
 * `.env` in the working directory is read first when it exists; real environment variables win.
 */
export function loadConfigOrExit(): Config {
  try {
    process.loadEnvFile('.env')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }

  try {
    return loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(1)
    }
    throw error
  }
}
