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

export interface VigilErrorOptions {
  /** Default false: a 4xx never is; a server-side failure that may pass later says so. */
  retriable?: boolean | undefined;
  issues?: FieldIssue[] | undefined;
  reason?: string | undefined;
  /** Extra response headers (Allow, Retry-After …). */
  headers?: Record<string, string> | undefined;
}

/**
 * The one error type every Vigil service throws for a request it refuses or cannot serve: the
 * HTTP status, the stable code and whether a retry may succeed travel together, so a caller (or a
 * queue consumer) can choose retry or dead-letter without parsing messages.
 */
export class VigilError<C extends string = string> extends Error {
  readonly retriable: boolean;
  readonly issues: FieldIssue[] | undefined;
  readonly reason: string | undefined;
  readonly headers: Record<string, string> | undefined;
  constructor(
    readonly status: number,
    readonly code: C,
    message: string,
    options: VigilErrorOptions = {},
  ) {
    super(message);
    this.name = "VigilError";
    this.retriable = options.retriable ?? false;
    this.issues = options.issues;
    this.reason = options.reason;
    this.headers = options.headers;
  }

  body(requestId?: string): ErrorBody<C> {
    return errorBody(this.code, this.message, { request_id: requestId, retriable: this.retriable, issues: this.issues, reason: this.reason });
  }
}

/**
 * The one response function: a VigilError as a JSON response (Web `Response`, so Workers, Deno
 * and Node's Hono all answer the same bytes), with the request id echoed when there is one.
 */
export function errorResponse(err: VigilError, requestId?: string): Response {
  const headers = new Headers({ "content-type": "application/json; charset=utf-8" });
  if (requestId !== undefined) headers.set("x-request-id", requestId);
  for (const [k, v] of Object.entries(err.headers ?? {})) headers.set(k, v);
  return new Response(JSON.stringify(err.body(requestId)), { status: err.status, headers });
}
