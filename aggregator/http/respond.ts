import type { Context } from "hono";
import type { z } from "zod";
import { errorResponse, VigilError, type VigilErrorOptions } from "../../core/contracts/errors.js";
import { parseWith, type FieldIssue } from "../../core/schemas.js";

// Every refusal of the aggregator's HTTP API is core's VigilError answered by core's
// errorResponse: {error: {code, message, retriable, issues?, reason?}}. 400 answers name each
// field and its problem; nothing is stored when input is refused.

export function problem(status: number, code: string, message: string, options: VigilErrorOptions = {}): Response {
  return errorResponse(new VigilError(status, code, message, options));
}

export function invalid(issues: FieldIssue[]): Response {
  const message = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return problem(400, "VALIDATION_FAILED", message, { issues });
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

function prefixed(where: string, issues: FieldIssue[]): FieldIssue[] {
  return issues.map((i) => ({ ...i, path: i.path === "(body)" ? where : `${where}.${i.path}` }));
}

/** Validates path params / query / a JSON body with zod, answering 400 with field issues. */
export async function parseRequest<T>(c: Context, where: "query" | "params" | "body", schema: z.ZodType<T>): Promise<Parsed<T>> {
  let input: unknown;
  if (where === "query") input = c.req.query();
  else if (where === "params") input = c.req.param();
  else {
    try {
      input = await c.req.json();
    } catch {
      return { ok: false, response: invalid([{ path: "(body)", message: "not valid JSON" }]) };
    }
  }
  const r = parseWith(schema, input);
  if (r.ok) return r;
  return { ok: false, response: invalid(where === "body" ? r.issues : prefixed(where, r.issues)) };
}
