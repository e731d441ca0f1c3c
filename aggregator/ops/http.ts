import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { errorBody } from "../../core/contracts/errors.js";
import { parseWith, type FieldIssue } from "../../core/schemas.js";

// Error bodies of the ops API (core/contracts/errors.ts): {error: {code, message, retriable,
// issues?}}. 400 answers name each field and its problem; nothing is stored when input is refused.

export function problem(c: Context, status: ContentfulStatusCode, code: string, message: string, retriable = false, issues?: FieldIssue[]) {
  return c.json(errorBody(code, message, { retriable, issues }), status);
}

export function invalid(c: Context, issues: FieldIssue[]) {
  const message = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return problem(c, 400, "VALIDATION_FAILED", message, false, issues);
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
      return { ok: false, response: invalid(c, [{ path: "(body)", message: "not valid JSON" }]) };
    }
  }
  const r = parseWith(schema, input);
  if (r.ok) return r;
  return { ok: false, response: invalid(c, where === "body" ? r.issues : prefixed(where, r.issues)) };
}
