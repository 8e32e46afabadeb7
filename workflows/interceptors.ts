import {
  ContinueAsNew,
  defaultPayloadConverter,
  isCancellation,
  proxySinks,
  workflowInfo,
  type ActivityInput,
  type LocalActivityInput,
  type Next,
  type Sinks,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow'
import { REQUEST_ID_HEADER } from '../domain/monitoring'

/** A workflow failure as the worker reports it to Sentry, outside the sandbox. */
export interface WorkflowFailureReport {
  type: string
  /** The failure's message followed by the messages of its causes. */
  message: string
}

export interface ErrorReportingSinks extends Sinks {
  errorReporting: { workflowFailed(failure: WorkflowFailureReport): void }
}

const { errorReporting } = proxySinks<ErrorReportingSinks>()

/** Returns the request id the starter put in the memo, or undefined for scheduled runs. */
function requestIdOfRun(): string | undefined {
  const value = workflowInfo().memo?.requestId
  return typeof value === 'string' ? value : undefined
}

function withRequestIdHeader<T extends ActivityInput | LocalActivityInput>(input: T): T {
  const requestId = requestIdOfRun()
  if (requestId === undefined) return input
  return { ...input, headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) } }
}

/** Adds the run's request id to its log lines and to the headers of its activities. */
class RequestIdOutbound implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    return next(withRequestIdHeader(input))
  }

  scheduleLocalActivity(input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>) {
    return next(withRequestIdHeader(input))
  }

  getLogAttributes(input: Record<string, unknown>, next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>) {
    const requestId = requestIdOfRun()
    return next(requestId === undefined ? input : { ...input, requestId })
  }
}

/** Reports a workflow that fails, but not one that is cancelled or continues as new. */
class FailureReportingInbound implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
    try {
      return await next(input)
    } catch (error) {
      if (!isCancellation(error) && !(error instanceof ContinueAsNew)) {
        errorReporting.workflowFailed({ type: failureType(error), message: failureChain(error) })
      }
      throw error
    }
  }
}

function failureType(error: unknown): string {
  if (!(error instanceof Error)) return 'WorkflowFailure'
  const withType = error as Error & { type?: string | null }
  return withType.type ?? error.name
}

function failureChain(error: unknown): string {
  const messages: string[] = []
  let current: unknown = error
  while (current instanceof Error && messages.length < 5) {
    messages.push(current.message)
    current = current.cause
  }
  return messages.length > 0 ? messages.join(': ') : String(error)
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new FailureReportingInbound()],
  outbound: [new RequestIdOutbound()],
})
