import { CancelledFailure, defaultPayloadConverter, type Headers } from '@temporalio/common'
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker'
import { fileURLToPath } from 'node:url'
import type { ErrorReporter } from '../observability/error-reporting'
import { REQUEST_ID_HEADER } from '../domain/monitoring'
import type { ErrorReportingSinks } from '../workflows/interceptors'

/** The workflow interceptor module, which the workflow bundle must include. */
export const WORKFLOW_INTERCEPTORS_PATH = fileURLToPath(new URL('../workflows/interceptors.ts', import.meta.url))

function readRequestId(headers: Headers): string | undefined {
  const payload = headers[REQUEST_ID_HEADER]
  if (!payload) return undefined
  const value = defaultPayloadConverter.fromPayload(payload)
  return typeof value === 'string' ? value : undefined
}

/**
 * Puts the request id from the activity's headers on its log lines, and reports every failed
 * attempt to Sentry with the activity, workflow and request ids. Cancellations are not errors.
 */
export function activityInterceptors(reporter: ErrorReporter): ActivityInterceptorsFactory {
  return (context) => {
    let requestId: string | undefined

    return {
      inbound: {
        async execute(input, next) {
          requestId = readRequestId(input.headers)
          try {
            return await next(input)
          } catch (error) {
            if (!(error instanceof CancelledFailure)) {
              const { info } = context
              reporter.captureException(error, {
                tags: {
                  source: 'activity',
                  activityType: info.activityType,
                  workflowType: info.workflowType,
                  workflowId: info.workflowExecution?.workflowId,
                  attempt: info.attempt,
                  taskQueue: info.taskQueue,
                  requestId,
                },
              })
            }
            throw error
          }
        },
      },
      outbound: {
        getLogAttributes(input, next) {
          return next(requestId === undefined ? input : { ...input, requestId })
        },
      },
    }
  }
}

/** Implements the workflows' error-reporting sink, which sends each failed workflow to Sentry. */
export function errorReportingSinks(reporter: ErrorReporter): InjectedSinks<ErrorReportingSinks> {
  return {
    errorReporting: {
      workflowFailed: {
        fn(info, failure) {
          const error = new Error(failure.message)
          error.name = failure.type
          const requestId = info.memo?.requestId
          reporter.captureException(error, {
            tags: {
              source: 'workflow',
              workflowType: info.workflowType,
              workflowId: info.workflowId,
              runId: info.runId,
              taskQueue: info.taskQueue,
              requestId: typeof requestId === 'string' ? requestId : undefined,
            },
          })
        },
        callDuringReplay: false,
      },
    },
  }
}
