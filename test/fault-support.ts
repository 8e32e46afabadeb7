import type { Client } from '@temporalio/client'
import { temporal } from '@temporalio/proto'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { ObjectStore } from '../storage/object-store'
import { ROOT } from './deploy-support'

/** Trials per kind of operation; FAULT_TRIALS lowers it while working on the test. */
export const TRIALS = Number(process.env.FAULT_TRIALS ?? 20)
/** Seed of the kill points; FAULT_SEED replays another sequence. */
export const SEED = Number(process.env.FAULT_SEED ?? 20261204)

/** Returns a seeded generator of floats in [0, 1) (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// Workers kept starting or ready in the background. Starting one takes seconds of CPU, so two
// let a round begin while the next but one is still loading.
const STANDBY_WORKERS = 2

/**
 * A worker process of its own, which a trial kills with SIGKILL. The next workers wait ready
 * on standby (test/fault-worker.ts), so a restart costs little start-up time.
 */
export class WorkerProcess {
  private child: ChildProcess | undefined
  private readonly standbys: ChildProcess[] = []
  private stderr = ''

  constructor(
    private readonly env: Record<string, string>,
    private readonly client: Client,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Lets the oldest standby worker poll, waits until it does, and tops up the standbys. */
  async start(): Promise<void> {
    const child = this.standbys.shift() ?? this.spawnStandby()
    child.stdin?.end('poll\n')
    this.child = child
    while (this.standbys.length < STANDBY_WORKERS) this.standbys.push(this.spawnStandby())
    await this.waitUntilPolling(child)
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await stopChild(this.child, signal)
  }

  /** Stops the active and the standby worker. */
  async stop(): Promise<void> {
    await stopChild(this.child, 'SIGTERM')
    for (const standby of this.standbys.splice(0)) await stopChild(standby, 'SIGKILL')
  }

  private spawnStandby(): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fault-worker.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env, FAULT_WORKER_STANDBY: '1' },
      stdio: ['pipe', 'ignore', 'pipe'],
    })
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)))
    return child
  }

  private async waitUntilPolling(child: ChildProcess): Promise<void> {
    const taskQueue = this.env.TEMPORAL_TASK_QUEUE!
    for (let tries = 0; tries < 1_200; tries++) {
      if (child.exitCode !== null) throw new Error(`the worker exited with status ${child.exitCode}: ${this.stderr}`)
      const description = await this.client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      })
      if ((description.pollers ?? []).some((poller) => poller.identity?.startsWith(`${child.pid}@`))) return
      await sleep(50)
    }
    throw new Error(`the worker did not poll ${taskQueue} within 60 s: ${this.stderr}`)
  }
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  await exited
}

/** Names the activities a workflow is running, for the trial table: `dumpDatabase#2`. */
export async function runningActivities(client: Client, workflowId: string): Promise<string> {
  const { raw, status } = await client.workflow.getHandle(workflowId).describe()
  if (status.name !== 'RUNNING') return status.name.toLowerCase()
  const running = (raw.pendingActivities ?? []).filter((activity) => activity.lastStartedTime)
  if (running.length === 0) return 'between activities'
  return running.map((activity) => `${activity.activityType?.name}#${activity.attempt}`).join('+')
}

export async function sha256Of(store: ObjectStore, key: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of await store.get(key)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = []
  for await (const object of store.list(prefix)) keys.push(object.key)
  return keys
}

/** Finds files under a folder whose names end with the suffix: half-written objects. */
export async function filesEndingWith(root: string, suffix: string): Promise<string[]> {
  const found: string[] = []
  const entries = await readdir(root, { withFileTypes: true, recursive: true })
  for (const entry of entries) if (entry.isFile() && entry.name.endsWith(suffix)) found.push(join(entry.parentPath, entry.name))
  return found
}

export interface TrialRow {
  kind: 'backup' | 'mirror' | 'dr restore'
  trial: number
  /** The seeded delay before the kill, in milliseconds. */
  killAfterMs: number
  /** What the workflow was running when the kill came. */
  point: string
  outcome: string
  checks: string
}

/** Prints the trials as a fixed-width table on stdout. */
export function printTrialTable(rows: TrialRow[]): void {
  const header = ['kind', 'trial', 'kill after ms', 'running at the kill', 'outcome', 'checks']
  const cells = rows.map((row) => [row.kind, String(row.trial), String(row.killAfterMs), row.point, row.outcome, row.checks])
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => cell[column]!.length)))
  const line = (values: string[]) => values.map((value, column) => value.padEnd(widths[column]!)).join(' | ')
  console.log([line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...cells.map(line)].join('\n'))
}
