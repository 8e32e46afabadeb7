import type { WorkflowHandle } from '@temporalio/client'

/** One activity of a workflow run, with times from the run's history in ms. */
export interface ActivityTiming {
  activity: string
  /** From the run's first event to the activity's scheduling. */
  scheduledAtMs: number
  /** From scheduling until a worker started it. */
  queuedMs: number
  /** From its start until it completed or failed. */
  runMs: number
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number]

function eventMs(event: HistoryEvent): number {
  const time = event.eventTime
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6)
}

/** Reads every activity of the run from its history, in the order they were scheduled. */
export async function activityTimeline(handle: WorkflowHandle): Promise<ActivityTiming[]> {
  const events = (await handle.fetchHistory()).events ?? []
  const runStart = events[0] ? eventMs(events[0]) : 0
  const byId = new Map(events.map((event) => [Number(event.eventId), event]))
  const timings: ActivityTiming[] = []

  for (const event of events) {
    const ended = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes
    if (!ended) continue
    const scheduled = byId.get(Number(ended.scheduledEventId))
    const started = byId.get(Number(ended.startedEventId))
    if (!scheduled || !started) continue
    timings.push({
      activity: scheduled.activityTaskScheduledEventAttributes?.activityType?.name ?? 'unknown',
      scheduledAtMs: eventMs(scheduled) - runStart,
      queuedMs: eventMs(started) - eventMs(scheduled),
      runMs: eventMs(event) - eventMs(started),
    })
  }
  return timings.sort((a, b) => a.scheduledAtMs - b.scheduledAtMs)
}

/** Formats the timeline as one line per activity, in seconds. */
export function formatTimeline(timings: ActivityTiming[]): string[] {
  const seconds = (ms: number) => (ms / 1000).toFixed(2)
  return timings.map((timing) => `  ${seconds(timing.scheduledAtMs).padStart(7)} s  ${timing.activity.padEnd(28)} ran ${seconds(timing.runMs)} s (queued ${seconds(timing.queuedMs)} s)`)
}
