import { z } from "zod";
import { ScoreRequestSchema, VerdictResponseSchema } from "../../core/schemas.js";
import { buildOpenApi, type ResponseDoc, type RouteDoc } from "./builder.js";

// The edge API (Workers / Deno), described from the same core schemas the edge validates with.

const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    request_id: z.string(),
    retriable: z.boolean(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
const err = (description: string): ResponseDoc => ({ description, schema: ErrorSchema });
const common = {
  400: err("VALIDATION_FAILED / INVALID_JSON / CARD_NUMBER_REFUSED / BATCH_TOO_LARGE: issues name each field"),
  401: err("missing or unknown token"),
  403: err("token not allowed for the transaction's channel"),
  413: err("body too large"),
  415: err("content-type must be application/json"),
  503: err("scoring unavailable; retry"),
};

export const EDGE_ROUTES: RouteDoc[] = [
  {
    method: "post", path: "/v1/transactions/score", operationId: "score", tags: ["scoring"], security: ["terminalToken"],
    summary: "Score one transaction", body: ScoreRequestSchema,
    description: "The full transaction event, or the short form (transaction_id, card_hash, amount_usd, merchant_id, channel). Raw card numbers are refused.",
    responses: { 200: { description: "verdict (x-vigil-duplicate: true when the transaction was seen before)", schema: VerdictResponseSchema }, ...common },
  },
  {
    method: "post", path: "/v1/transactions/score/batch", operationId: "scoreBatch", tags: ["scoring"], security: ["terminalToken"],
    summary: "Score up to MAX_BATCH transactions; results in request order",
    body: z.object({ transactions: z.array(ScoreRequestSchema).min(1) }),
    responses: { 200: { description: "results in order", schema: z.object({ results: z.array(VerdictResponseSchema) }) }, ...common },
  },
  {
    method: "get", path: "/v1/health", operationId: "edgeHealth", tags: ["health"], security: [],
    summary: "Liveness (no auth; says nothing a scanner could use)",
    responses: { 200: { description: "alive", schema: z.object({ status: z.literal("healthy"), version: z.string(), region: z.string(), time: z.string() }) } },
  },
  {
    method: "get", path: "/v1/ops/dead-letters", operationId: "listDeadLetters", tags: ["operations"], security: ["edgeOpsToken"],
    summary: "Parked dead letters of this region, oldest first, and how many there are",
    query: z.object({ limit: z.number().int().min(1).max(1000).optional() }),
    responses: { 200: { description: "letters and total", schema: z.record(z.string(), z.unknown()) }, 400: common[400], 401: common[401], 503: common[503] },
  },
  {
    method: "post", path: "/v1/ops/dead-letters/redrive", operationId: "redriveDeadLetters", tags: ["operations"], security: ["edgeOpsToken"],
    summary: "Put parked letters back on the scored-events queue; a letter leaves the box only once the queue accepted it",
    body: z.strictObject({ ids: z.array(z.string().min(1).max(200)).min(1).max(1000).optional(), limit: z.number().int().min(1).max(1000).optional() }),
    responses: { 200: { description: "redriven, kept and invalid counts", schema: z.record(z.string(), z.unknown()) }, 400: common[400], 401: common[401], 413: common[413], 415: common[415], 503: common[503] },
  },
];

export function edgeOpenApi(version = "0.1.0") {
  return buildOpenApi({
    title: "Vigil edge API",
    version,
    description: "Real-time fraud scoring at the edge: APPROVED / REVIEW / BLOCKED with reasons.",
    servers: [{ url: "http://127.0.0.1:8787", description: "local workerd (wrangler dev)" }],
    securitySchemes: {
      terminalToken: { type: "http", scheme: "bearer", description: "Per terminal or channel; stored as SHA-256 in EDGE_TOKENS." },
      edgeOpsToken: { type: "http", scheme: "bearer", description: "Operators of the edge; stored as SHA-256 in EDGE_OPS_TOKENS (scoring tokens are refused)." },
    },
    routes: EDGE_ROUTES,
  });
}
