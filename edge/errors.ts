import { errorBody, type ErrorBody } from "../core/contracts/errors.js";
import type { FieldIssue } from "../core/schemas.js";

// Every failure the edge answers is an HttpError with a stable code; `onError` in app.ts turns it
// (or anything else, as 500 INTERNAL) into core/contracts/errors.ts's body
// `{error:{code,message,request_id,retriable,issues?}}`, no stack.

export const ERROR_CODES = {
  UNAUTHORIZED: 401,
  FORBIDDEN_CHANNEL: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_CONFLICT: 409,
  INVALID_JSON: 400,
  VALIDATION_FAILED: 400,
  CARD_NUMBER_REFUSED: 400,
  BATCH_TOO_LARGE: 400,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
  SCORING_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** Server-side failures a client may retry; 4xx never are. */
const RETRIABLE: ReadonlySet<ErrorCode> = new Set(["SCORING_UNAVAILABLE", "INTERNAL"]);

export class HttpError extends Error {
  readonly status: number;
  readonly retriable: boolean;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: FieldIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "HttpError";
    this.status = ERROR_CODES[code];
    this.retriable = RETRIABLE.has(code);
  }
}

/** The body of an HttpError answered to the request `requestId`. */
export function httpErrorBody(err: HttpError, requestId: string): ErrorBody<ErrorCode> {
  return errorBody(err.code, err.message, { request_id: requestId, retriable: err.retriable, issues: err.issues });
}

/** Prefixes each issue path, e.g. "amount_usd" → "transactions.3.amount_usd". */
export function prefixIssues(prefix: string, issues: FieldIssue[]): FieldIssue[] {
  return issues.map((i) => ({ path: i.path === "(body)" ? prefix : `${prefix}.${i.path}`, message: i.message }));
}
