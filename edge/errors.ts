import { VigilError } from "../core/contracts/errors.js";
import type { FieldIssue } from "../core/schemas.js";

// Every failure the edge answers is core's VigilError with a stable code; `onError` in app.ts
// answers it (or anything else, as 500 INTERNAL) with core's errorResponse:
// `{error:{code,message,request_id,retriable,issues?}}`, no stack. This file only keeps the
// edge's code → status table, so a route names a code and never a status.

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

/** The edge's error for `code`: its status from the table, retriable when the table says so. */
export function edgeError(code: ErrorCode, message: string, issues?: FieldIssue[], headers?: Record<string, string>): VigilError<ErrorCode> {
  return new VigilError(ERROR_CODES[code], code, message, { retriable: RETRIABLE.has(code), issues, headers });
}

/** Prefixes each issue path, e.g. "amount_usd" → "transactions.3.amount_usd". */
export function prefixIssues(prefix: string, issues: FieldIssue[]): FieldIssue[] {
  return issues.map((i) => ({ path: i.path === "(body)" ? prefix : `${prefix}.${i.path}`, message: i.message }));
}
