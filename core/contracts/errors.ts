import type { FieldIssue } from "../schemas.js";

// The JSON body of every refused or failed HTTP request, edge and aggregator alike:
//   {error: {code, message, request_id?, retriable, issues?, reason?}}
// No stack, no internals. Each service maps its own failures to codes and statuses; this is only
// the body, so it stays free of any Response type.

export interface ErrorBody<C extends string = string> {
  error: {
    /** Stable, machine-readable (e.g. VALIDATION_FAILED); clients branch on it, never on message. */
    code: C;
    message: string;
    /** The request's id, where the service assigns one (the edge does, echoed in x-request-id). */
    request_id?: string;
    /** Whether the same request may succeed later (server-side, transient); 4xx never are. */
    retriable: boolean;
    /** One entry per refused field. */
    issues?: FieldIssue[];
    /** A finer reason within `code`, e.g. which signature check failed. */
    reason?: string;
  };
}

export interface ErrorDetails {
  request_id?: string | undefined;
  /** Default false. */
  retriable?: boolean | undefined;
  issues?: FieldIssue[] | undefined;
  reason?: string | undefined;
}

export function errorBody<C extends string>(code: C, message: string, details: ErrorDetails = {}): ErrorBody<C> {
  return {
    error: {
      code,
      message,
      ...(details.request_id !== undefined ? { request_id: details.request_id } : {}),
      retriable: details.retriable ?? false,
      ...(details.issues !== undefined ? { issues: details.issues } : {}),
      ...(details.reason !== undefined ? { reason: details.reason } : {}),
    },
  };
}
