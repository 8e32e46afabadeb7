import { randomUUID } from 'node:crypto'
import { startMirror } from '../client/mirror'
import { OperationFailedError, type CommandContext } from './backup-commands'
import { formatBytes } from './format'

/** Runs the mirror now and prints its counts; a partial or refused run exits non-zero. */
export async function mirrorNow(context: CommandContext): Promise<void> {
  const handle = await startMirror(await context.temporal(), { taskQueue: context.config.temporal.taskQueue, requestId: `cli-${randomUUID()}` })
  process.stderr.write(`started ${handle.workflowId}\n`)
  const result = await handle.result()

  if (context.json) context.out(JSON.stringify(result, null, 2))
  else context.out(`mirror ${result.status}: ${result.scanned} scanned, ${result.copied} copied (${formatBytes(result.bytesMoved)}), ${result.skipped} unchanged, ${result.failed} failed`)
  if (result.status !== 'good') throw new OperationFailedError(`mirror run ${result.status}: ${result.note ?? ''}`)
}
