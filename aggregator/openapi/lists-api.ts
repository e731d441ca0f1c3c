import {
  ListDeleteQuerySchema,
  ListDeleteResponseSchema,
  ListPageResponseSchema,
  ListParamsSchema,
  ListQuerySchema,
  ListWriteRequestSchema,
  ListWriteResponseSchema,
  MAX_LIST_BATCH,
} from "../lists/lists.js";
import type { ResponseDoc, RouteDoc } from "./builder.js";
import { ErrorResponseSchema } from "../http/schemas.js";

// The allow/block list routes (aggregator/ops/list-routes.ts), kept apart from aggregator-api.ts.

const err = (description: string): ResponseDoc => ({ description, schema: ErrorResponseSchema });
const authErrors = { 401: err("missing, unknown or revoked token"), 403: err("role too low"), 503: err("token store unavailable") };
const bad = { 400: err("invalid input: each issue names the field and the problem; nothing changed") };
const analyst = { security: ["opsToken"], description: "Requires role analyst or higher." };
const LISTS = "`{list}` is `<block|allow>-<card|bin|ip|device|merchant|terminal>`, e.g. `block-card` (values: card_number_hash, BIN prefix of 6–8 digits, ip_address_hash, device_fingerprint, merchant_id, terminal_id).";

export const LIST_ROUTES: RouteDoc[] = [
  {
    method: "get", path: "/v1/lists/{list}/entries", operationId: "listListEntries", tags: ["lists"], ...analyst,
    summary: "Entries of one allow or block list, by value (keyset pagination via next_cursor); expired ones only with include_expired=true",
    description: `${analyst.description} ${LISTS}`,
    params: ListParamsSchema, query: ListQuerySchema,
    responses: { 200: { description: "one page", schema: ListPageResponseSchema }, ...bad, ...authErrors },
  },
  {
    method: "post", path: "/v1/lists/{list}/entries", operationId: "writeListEntries", tags: ["lists"], ...analyst,
    summary: `Add or change entries: one entry, or {entries:[…]} (≤ ${MAX_LIST_BATCH}, all or nothing). Idempotent; audited; published to the edge`,
    description: `${analyst.description} ${LISTS} A block entry decides BLOCKED (LIST_BLOCK); an allow entry lowers REVIEW to APPROVED (ALLOW_LIST) but never overrides a block entry or a rule marked non_overridable. expires_at must lie in the future; the edge judges it against each event's time. Header x-vigil-source: import marks the audit rows as an import.`,
    params: ListParamsSchema, body: ListWriteRequestSchema,
    responses: { 200: { description: "nothing new (updated or unchanged only)", schema: ListWriteResponseSchema }, 201: { description: "at least one entry created", schema: ListWriteResponseSchema }, ...bad, ...authErrors },
  },
  {
    method: "delete", path: "/v1/lists/{list}/entries", operationId: "deleteListEntry", tags: ["lists"], ...analyst,
    summary: "Remove one entry (?value=); audited; published to the edge",
    description: `${analyst.description} ${LISTS}`,
    params: ListParamsSchema, query: ListDeleteQuerySchema,
    responses: { 200: { description: "deleted", schema: ListDeleteResponseSchema }, ...bad, ...authErrors, 404: err("no such entry") },
  },
];
