import { randomUUID } from 'node:crypto'
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client'
import { startRetentionRun } from '../client/retention'
import { findExpiredDocuments, schoolToday, type ExpiredDocument } from '../data/retention'
import { RETENTION_CLASSES, type RetentionClass } from '../domain/retention'
import { retentionProgressQuery, type RetentionRunResult } from '../workflows/retention-definitions'
import { OperationFailedError, type CommandContext } from './backup-commands'

export interface School {
  id: string
  slug: string
}

/** Finds the school by slug, or the only school when no slug is given. */
export async function resolveSchool(context: CommandContext, slug: string | undefined): Promise<School> {
  const schools = await context.sql()<School[]>`SELECT id, slug FROM school ORDER BY slug`
  if (slug === undefined && schools.length === 1) return schools[0]!
  const school = schools.find((candidate) => candidate.slug === slug)
  if (school) return school
  const known = schools.map((candidate) => candidate.slug).join(', ') || 'none'
  throw new OperationFailedError(`${slug === undefined ? 'several schools exist; name one with --school SLUG' : `school "${slug}" not found`} (schools: ${known})`)
}

/**
 * Lists the documents a purge on `asOf` would remove, with the rule and the date each period
 * ended, up to `limit` of them, then the totals by class over every document. Reads only.
 */
export async function retentionReport(context: CommandContext, options: { school: School; asOf?: string; limit: number }): Promise<void> {
  const sql = context.sql()
  const asOf = options.asOf ?? (await schoolToday(sql, options.school.id))
  const shown: ExpiredDocument[] = []
  const totals = Object.fromEntries(RETENTION_CLASSES.map((name) => [name, 0])) as Record<RetentionClass, number>
  let cursor: string | null = null
  let scanned = 0

  do {
    const page = await findExpiredDocuments(sql, context.config.retention.rules, { schoolId: options.school.id, asOf, cursor, limit: 10_000, maxScanned: 50_000 })
    for (const item of page.items) {
      totals[item.class]++
      if (shown.length < options.limit) shown.push(item)
    }
    scanned += page.scanned
    cursor = page.nextCursor
    if (!context.json) process.stderr.write(`judged ${scanned} document(s)\n`)
  } while (cursor !== null)

  const expired = RETENTION_CLASSES.reduce((sum, name) => sum + totals[name], 0)
  if (context.json) return context.out(JSON.stringify({ school: options.school.slug, asOf, scanned, expired, totals, items: shown }, null, 2))
  context.out(`school ${options.school.slug}, as of ${asOf}: ${expired} of ${scanned} document(s) would be purged (financial ${totals.financial}, academic ${totals.academic}, other ${totals.other})`)
  for (const item of shown) context.out(`${item.documentId}  ${item.category.padEnd(13)} ended ${item.endsOn}  ${item.rule}${item.anchorDate ? `, counted from ${item.anchorDate}` : ''}`)
  if (expired > shown.length) context.out(`… ${expired - shown.length} more; raise --limit or use --json to see them`)
}

/**
 * Starts a school's purge, or a dry run, and follows it. A first purge that waits for an
 * admin's approval is left waiting, and the command prints how to approve it.
 */
export async function retentionPurge(context: CommandContext, options: { school: School; dryRun: boolean; asOf?: string }): Promise<void> {
  const client = await context.temporal()
  const handle = await startRetentionRun(client, { taskQueue: context.config.temporal.taskQueue, school: options.school, dryRun: options.dryRun, asOf: options.asOf, requestId: `cli-${randomUUID()}` }).catch((error: unknown) => {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new OperationFailedError(`a purge of school ${options.school.slug} is already running: ${error.workflowId}`)
    throw error
  })
  process.stderr.write(`started ${handle.workflowId}\n`)

  const result = handle.result()
  for (;;) {
    const finished = await Promise.race([result.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 2_000))])
    if (finished) break
    const progress = await handle.query(retentionProgressQuery).catch(() => null)
    if (progress?.awaitingApproval) {
      context.out(`purge of school ${options.school.slug} waits for an admin's approval; an admin approves it with POST /api/ops/retention/approval, and it then continues on its own`)
      return
    }
    if (progress && !context.json) process.stderr.write(`judged ${progress.counts.evaluated} document(s), ${progress.counts.expired} expired\n`)
  }
  printResult(context, options.school, await result)
}

function printResult(context: CommandContext, school: School, result: RetentionRunResult): void {
  if (context.json) return context.out(JSON.stringify(result, null, 2))
  const { counts } = result
  const judged = `${counts.evaluated} judged as of ${result.asOf}: ${counts.expired} expired, ${counts.held} on legal hold, ${counts.kept} kept`
  if (result.status === 'dry-run') return context.out(`dry run of school ${school.slug}: ${judged}; nothing was purged`)
  if (result.status === 'not-approved') throw new OperationFailedError(`purge of school ${school.slug} ended without an admin's approval; nothing was purged`)
  context.out(`purge of school ${school.slug}: ${judged}; ${result.purged} purged, ${result.filesRemoved} file(s) and ${result.mirrorCopiesRemoved} mirror copies removed`)
  if (result.fileRemovalFailures > 0) throw new OperationFailedError(`${result.fileRemovalFailures} file(s) could not be removed; they stay pending for the next run`)
}
