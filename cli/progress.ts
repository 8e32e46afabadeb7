import type { WorkflowHandle } from '@temporalio/client'
import { pendingActivityProgress } from '../client/backups'

/**
 * Prints the workflow's running activities and their heartbeat details to stderr whenever
 * they change, until the workflow closes, and then returns its result or rethrows its failure.
 */
export async function followWorkflow<T>(handle: WorkflowHandle, result: Promise<T>, intervalMs = 1_000): Promise<T> {
  let last = ''
  let finished = false
  const settled = result.finally(() => {
    finished = true
  })

  while (!finished) {
    await Promise.race([settled.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, intervalMs))])
    if (finished) break

    const pending = await pendingActivityProgress(handle).catch(() => [])
    const line = pending
      .map((activity) => `${activity.activity} (attempt ${activity.attempt})${describeDetails(activity.details)}`)
      .join(', ')
    if (line && line !== last) {
      process.stderr.write(`${new Date().toISOString()} ${handle.workflowId}: ${line}\n`)
      last = line
    }
  }
  return settled
}

function describeDetails(details: unknown): string {
  if (details === null || typeof details !== 'object') return ''
  const parts = Object.entries(details as Record<string, unknown>).map(([key, value]) => `${key}=${String(value)}`)
  return parts.length > 0 ? ` ${parts.join(' ')}` : ''
}
