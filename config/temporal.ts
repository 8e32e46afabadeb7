import { z } from 'zod'

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max)

/**
 * Variables for reaching a Temporal cluster or Temporal Cloud, and for sizing a worker. All
 * are optional, because the local dev server needs none of them and an unset worker limit
 * keeps the SDK's default.
 */
export const temporalConnectionEnvShape = {
  /** `true` or `false`. Unset turns TLS on when an API key or any TLS setting is present. */
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_TLS_CA_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_CERT_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),

  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt(1000).optional(),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).optional(),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).optional(),
}

type TemporalConnectionEnv = z.output<z.ZodObject<typeof temporalConnectionEnvShape>>

/** TLS settings as file paths; the client reads the files when it connects. */
export interface TemporalTlsConfig {
  caFile: string | null
  /** Client certificate and key for mutual TLS, set together or not at all. */
  clientCert: { certFile: string; keyFile: string } | null
  serverName: string | null
}

export interface TemporalConnectionConfig {
  /** Null means a plain-text connection, as the local dev server expects. */
  tls: TemporalTlsConfig | null
  /** Temporal Cloud API key, which the SDK sends as a bearer token on every call. */
  apiKey: string | null
}

/** Limits of one worker process; null leaves the SDK's default in place. */
export interface WorkerLimitsConfig {
  maxConcurrentActivities: number | null
  maxConcurrentWorkflowTasks: number | null
  maxCachedWorkflows: number | null
}

/** Lists contradictory TLS settings, each naming its variables. */
export function temporalConnectionProblems(env: TemporalConnectionEnv): string[] {
  const problems: string[] = []
  if ((env.TEMPORAL_TLS_CERT_FILE === undefined) !== (env.TEMPORAL_TLS_KEY_FILE === undefined)) {
    problems.push('TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE: set both or neither for mutual TLS')
  }
  const needsTls = [env.TEMPORAL_TLS_CERT_FILE, env.TEMPORAL_TLS_CA_FILE, env.TEMPORAL_API_KEY].some((value) => value !== undefined)
  if (env.TEMPORAL_TLS === 'false' && needsTls) {
    problems.push('TEMPORAL_TLS: is false, but a certificate or an API key is set; they need TLS')
  }
  return problems
}

export function temporalConnectionConfigOf(env: TemporalConnectionEnv): TemporalConnectionConfig {
  const anyTlsSetting = [env.TEMPORAL_TLS_CA_FILE, env.TEMPORAL_TLS_CERT_FILE, env.TEMPORAL_TLS_SERVER_NAME, env.TEMPORAL_API_KEY].some(
    (value) => value !== undefined,
  )
  const tlsOn = env.TEMPORAL_TLS === undefined ? anyTlsSetting : env.TEMPORAL_TLS === 'true'
  const clientCert =
    env.TEMPORAL_TLS_CERT_FILE && env.TEMPORAL_TLS_KEY_FILE
      ? { certFile: env.TEMPORAL_TLS_CERT_FILE, keyFile: env.TEMPORAL_TLS_KEY_FILE }
      : null

  return {
    tls: tlsOn
      ? { caFile: env.TEMPORAL_TLS_CA_FILE ?? null, clientCert, serverName: env.TEMPORAL_TLS_SERVER_NAME ?? null }
      : null,
    apiKey: env.TEMPORAL_API_KEY ?? null,
  }
}

export function workerLimitsConfigOf(env: TemporalConnectionEnv): WorkerLimitsConfig {
  return {
    maxConcurrentActivities: env.WORKER_MAX_CONCURRENT_ACTIVITIES ?? null,
    maxConcurrentWorkflowTasks: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS ?? null,
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS ?? null,
  }
}
