import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client'
import { randomUUID } from 'node:crypto'
import type { RestoreRequest, RestoreResult } from '../activities/restore'
import { startBackup, startRestore } from '../client/backups'
import type { Config } from '../config'
import { listBackups, upsertBackupFromManifest } from '../data/backup-catalog'
import type { Sql } from '../data/db'
import { listManifestsWithProblems } from '../storage/backup-manifests'
import type { ObjectStore } from '../storage/object-store'
import { formatAge, formatBytes, renderTable } from './format'
import { followWorkflow } from './progress'

export interface CommandContext {
  config: Config
  temporal: () => Promise<Client>
  sql: () => Sql
  storage: ObjectStore
  json: boolean
  out: (text: string) => void
}

/** Thrown for an operation that ran and failed; the CLI exits with status 1. */
export class OperationFailedError extends Error {}

export async function backupNow(context: CommandContext, database: string): Promise<void> {
  const handle = await startBackup(await context.temporal(), {
    database,
    taskQueue: context.config.temporal.taskQueue,
    requestId: `cli-${randomUUID()}`,
  }).catch((error: unknown) => {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new OperationFailedError(`a backup of "${database}" started this second is already running: ${error.workflowId}`)
    }
    throw error
  })
  process.stderr.write(`started ${handle.workflowId}\n`)

  try {
    const result = await followWorkflow(handle, handle.result())
    if (context.json) return context.out(JSON.stringify(result, null, 2))
    context.out(
      `backup ${result.backupId} verified: ${formatBytes(result.sizeBytes)}, sha256 ${result.sha256}, ` +
        `stored at ${result.objectKey}`,
    )
  } catch (error) {
    throw new OperationFailedError(`backup ${handle.workflowId} failed: ${failureText(error)}`)
  }
}

export async function backupList(
  context: CommandContext,
  options: { database?: string; limit: number; fromStorage: boolean },
): Promise<void> {
  const listing = options.fromStorage ? await listManifestsWithProblems(context.storage, options.database) : null
  for (const problem of listing?.unreadable ?? []) process.stderr.write(`warning: skipped ${problem.reason}\n`)
  const rows = listing
    ? listing.manifests.slice(0, options.limit).map(({ manifest }) => ({
        id: manifest.backupId,
        database: manifest.database,
        status: manifest.verification?.status ?? 'dumped',
        startedAt: new Date(manifest.startedAt),
        sizeBytes: manifest.sizeBytes,
        sha256: manifest.sha256,
        objectKey: manifest.objectKey,
        reason: manifest.verification?.reason ?? null,
      }))
    : (await listBackups(context.sql(), { database: options.database, limit: options.limit })).map((backup) => ({
        id: backup.id,
        database: backup.databaseName,
        status: backup.status,
        startedAt: backup.startedAt,
        sizeBytes: backup.sizeBytes,
        sha256: backup.sha256,
        objectKey: backup.objectKey,
        reason: backup.failureReason,
      }))

  if (context.json) return context.out(JSON.stringify(rows, null, 2))
  if (rows.length === 0) return context.out('no backups found')

  const now = new Date()
  context.out(
    renderTable(
      ['BACKUP', 'STATUS', 'AGE', 'SIZE', 'SHA-256', 'REASON'],
      rows.map((row) => [
        row.id,
        row.status,
        formatAge(row.startedAt, now),
        formatBytes(row.sizeBytes),
        row.sha256?.slice(0, 12) ?? '-',
        row.reason ?? '',
      ]),
    ),
  )
}

export async function backupRestore(context: CommandContext, request: RestoreRequest): Promise<void> {
  const handle = await startRestore(await context.temporal(), {
    request,
    taskQueue: context.config.temporal.taskQueue,
    requestId: `cli-${randomUUID()}`,
  })
  process.stderr.write(`started ${handle.workflowId}\n`)

  let result: RestoreResult
  try {
    result = await followWorkflow(handle, handle.result())
  } catch (error) {
    throw new OperationFailedError(`restore ${handle.workflowId} failed: ${failureText(error)}`)
  }

  if (context.json) context.out(JSON.stringify(result, null, 2))
  else {
    context.out(
      `restored ${result.backupId} into ${result.targetDatabase}: ${result.tables} tables, ${result.rows} rows, ` +
        `backup age ${result.backupAgeHours.toFixed(1)} h, ${(result.durationMs / 1000).toFixed(1)} s`,
    )
    for (const ignored of result.ignoredErrors) context.out(`warning (ignored): ${ignored.message}`)
  }
  if (result.rowCountMismatch !== null) {
    throw new OperationFailedError(`restore finished but ${result.rowCountMismatch}`)
  }
}

/** Adds or refreshes a catalog row for every readable manifest in storage. */
export async function rebuildCatalog(context: CommandContext): Promise<void> {
  const { manifests, unreadable } = await listManifestsWithProblems(context.storage)
  for (const { key, manifest } of manifests) await upsertBackupFromManifest(context.sql(), manifest, key)
  for (const problem of unreadable) process.stderr.write(`warning: skipped ${problem.reason}\n`)

  context.out(`read ${manifests.length} manifest(s) from storage; the catalog now lists each of them`)
  if (unreadable.length > 0) throw new OperationFailedError(`${unreadable.length} manifest(s) could not be read; see the warnings above`)
}

function failureText(error: unknown): string {
  if (error instanceof WorkflowFailedError) {
    const messages: string[] = []
    let cause: Error | undefined = error.cause
    while (cause) {
      // The SDK wraps each activity error in one whose message is only 'Activity task failed'.
      if (cause.message !== 'Activity task failed') messages.push(cause.message)
      cause = cause.cause instanceof Error ? cause.cause : undefined
    }
    return messages.join(': ') || error.message
  }
  return error instanceof Error ? error.message : String(error)
}
