import type { Context, Hono } from "hono";
import { z } from "zod";
import { authenticate } from "../auth.js";
import { edgeError } from "../errors.js";
import { redrive } from "../forwarding/dead-letters.js";
import type { EdgeDeps } from "../ports.js";
import { parseJson, readBody, requireJson } from "./validate.js";

// Operator routes of the edge (EDGE_OPS_TOKENS; the scoring tokens cannot reach them):
//   GET  /v1/ops/dead-letters?limit=N           parked dead letters, oldest first, and how many there are
//   POST /v1/ops/dead-letters/redrive {ids?|limit?}  records back on the scored-events queue; a letter
//                                                leaves the box only once the queue accepted it

const MAX_OPS_BODY = 64 * 1024;

const RedriveSchema = z.strictObject({
  ids: z.array(z.string().min(1).max(200)).min(1).max(1000).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

const LimitSchema = z.coerce.number().int().min(1).max(1000).default(100);

function issuesOf(err: z.ZodError, prefix = "") {
  return err.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join(".") || "(body)", message: i.message }));
}

export function opsRoutes<E extends { Variables: { requestId: string } }>(app: Hono<E>, deps: EdgeDeps): void {
  const guard = async (c: Context<E>) => {
    await authenticate(c.req.header("authorization"), deps.config.EDGE_OPS_TOKENS ?? []);
    if (!deps.deadLetters) throw edgeError("NOT_FOUND", "no dead-letter store in this runtime");
    return deps.deadLetters;
  };

  app.get("/v1/ops/dead-letters", async (c) => {
    const ops = await guard(c);
    const limit = LimitSchema.safeParse(c.req.query("limit") ?? undefined);
    if (!limit.success) throw edgeError("VALIDATION_FAILED", "limit must be an integer 1–1000", issuesOf(limit.error, "limit"));
    const listed = await ops.store.list({ limit: limit.data });
    return c.json(listed);
  });

  app.post("/v1/ops/dead-letters/redrive", async (c) => {
    const ops = await guard(c);
    requireJson(c.req.header("content-type"));
    const body = RedriveSchema.safeParse(parseJson(await readBody(c.req.raw, MAX_OPS_BODY)));
    if (!body.success) throw edgeError("VALIDATION_FAILED", "expected {ids?: string[], limit?: 1–1000}", issuesOf(body.error));
    const result = await redrive(ops.store, ops.queue, body.data);
    deps.log.warn("DEAD_LETTERS_REDRIVEN", { request_id: c.get("requestId"), redriven: result.redriven.length, skipped: result.skipped.length, remaining: result.remaining });
    return c.json(result);
  });
}
