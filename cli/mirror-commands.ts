import { randomUUID } from 'node:crypto'
import { startMirror, startMirrorRestore, startMirrorVerify } from '../client/mirror'
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

/** Compares primary and mirror by checksum; differences exit non-zero and list up to 20 keys. */
export async function mirrorVerify(context: CommandContext): Promise<void> {
  const handle = await startMirrorVerify(await context.temporal(), { taskQueue: context.config.temporal.taskQueue, requestId: `cli-${randomUUID()}` })
  process.stderr.write(`started ${handle.workflowId}\n`)
  const found = await handle.result()

  if (context.json) context.out(JSON.stringify(found, null, 2))
  else context.out([`checked ${found.checked} object(s): ${found.missing} missing from the mirror, ${found.differing} differing`, ...found.examples].join('\n'))
  if (found.missing + found.differing > 0) throw new OperationFailedError('the mirror differs from primary storage; run mirror now, then verify again')
}

/** Copies every object primary storage lacks back from the mirror. */
export async function mirrorRestore(context: CommandContext): Promise<void> {
  const handle = await startMirrorRestore(await context.temporal(), { taskQueue: context.config.temporal.taskQueue, requestId: `cli-${randomUUID()}` })
  process.stderr.write(`started ${handle.workflowId}\n`)
  const result = await handle.result()
  context.out(context.json ? JSON.stringify(result, null, 2) : `restored ${result.restored} object(s) (${formatBytes(result.bytes)}) from the mirror into primary storage`)
}
