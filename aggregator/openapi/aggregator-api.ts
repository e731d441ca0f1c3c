import { z } from "zod";
import { IngestBatchSchema } from "../../core/schemas.js";
import { FeedbackRequestSchema } from "../risk/labels.js";
import { CardParamsSchema, FeedbackResponseSchema, FraudHistoryResponseSchema, FraudSummaryResponseSchema, FraudVerdictResponseSchema, HealthResponseSchema, HistoryQuerySchema, LabelHistoryResponseSchema, RecomputeResponseSchema, ReferenceSnapshotSchema, SummaryQuerySchema } from "../ops/schemas.js";
import {
  CompareQuerySchema,
  CompareResponseSchema,
  ModelDetailSchema,
  ModelListSchema,
  ModelMoveSchema,
  ModelParamsSchema,
  TrainAcceptedSchema,
  TrainRequestSchema,
} from "../training/schemas.js";
import { buildOpenApi, type ResponseDoc, type RouteDoc } from "./builder.js";
import { caseRoutes } from "./cases-api.js";
import { RULES_ROUTES } from "./rules-api.js";
import { LIST_ROUTES } from "./lists-api.js";
import { ErrorResponseSchema, TransactionParamsSchema } from "../http/schemas.js";

// The aggregator's API as route descriptors. Roles: reference < viewer < analyst < admin (bearer tokens).

const err = (description: string): ResponseDoc => ({ description, schema: ErrorResponseSchema });
const authErrors = { 401: err("missing, unknown or revoked token"), 403: err("role too low"), 503: err("token store unavailable") };
const bad = { 400: err("invalid input: each issue names the field and the problem; nothing changed") };
const ops = (role: "reference" | "viewer" | "analyst" | "admin") => ({ security: ["opsToken"], description: `Requires role ${role} or higher.` });

export const AGGREGATOR_ROUTES: RouteDoc[] = [
  {
    method: "post", path: "/v1/ingest", operationId: "ingest", tags: ["ingest"], security: ["edgeSignature"],
    summary: "Scored events from the edge (HMAC-signed batch)",
    description: "Body signed with HMAC-SHA256 over `v1:<timestamp>:<body>` (headers x-vigil-signature, x-vigil-timestamp). Records are published to Kafka before the answer.",
    body: IngestBatchSchema,
    responses: {
      202: {
        description: "accepted and durably published to the bus; `duplicates` of them had been published before (same idempotency key) and were not published again",
        schema: z.object({ accepted: z.number().int(), duplicates: z.number().int(), conflicts: z.number().int().describe("events under an idempotency key already taken by another payload: sent to fraud-dead-letter as IDEMPOTENCY_CONFLICT (once), not published") }),
      },
      ...bad,
      401: err("signature refused (reason: MISSING_SIGNATURE | MALFORMED_SIGNATURE | STALE_TIMESTAMP | BAD_SIGNATURE)"),
      409: err("REPLAYED: this signed request was already accepted"),
      413: err("body too large"),
      503: err("BUS_UNAVAILABLE | INGEST_DEADLINE | IN_FLIGHT (another request is publishing these events) | LEDGER_UNAVAILABLE; retry"),
    },
  },
  {
    method: "get", path: "/v1/health", operationId: "health", tags: ["ops"], ...ops("viewer"),
    summary: "Aggregator health: lag, hot-store latency, throughput, sinks",
    responses: { 200: { description: "health report", schema: HealthResponseSchema }, ...authErrors },
  },
  {
    method: "get", path: "/v1/transactions/{transaction_id}/fraud-verdict", operationId: "getFraudVerdict", tags: ["ops"], ...ops("viewer"),
    summary: "The verdict given to one transaction", params: TransactionParamsSchema,
    responses: { 200: { description: "verdict", schema: FraudVerdictResponseSchema }, ...bad, ...authErrors, 404: err("unknown transaction") },
  },
  {
    method: "get", path: "/v1/transactions/{transaction_id}/labels", operationId: "getLabelHistory", tags: ["labels"], ...ops("viewer"),
    summary: "Audit trail of a transaction's labels", params: TransactionParamsSchema,
    responses: { 200: { description: "every label version, oldest first", schema: LabelHistoryResponseSchema }, ...bad, ...authErrors },
  },
  {
    method: "get", path: "/v1/cards/{card_hash}/fraud-history", operationId: "getCardFraudHistory", tags: ["ops"], ...ops("viewer"),
    summary: "A card's alerts over 90 days, newest first, and its risk tier", params: CardParamsSchema, query: HistoryQuerySchema,
    responses: { 200: { description: "history", schema: FraudHistoryResponseSchema }, ...bad, ...authErrors },
  },
  {
    method: "get", path: "/v1/metrics/fraud-summary", operationId: "getFraudSummary", tags: ["ops"], ...ops("viewer"),
    summary: "Daily totals (event date, UTC) and per merchant category", query: SummaryQuerySchema,
    responses: { 200: { description: "summary", schema: FraudSummaryResponseSchema }, ...bad, ...authErrors },
  },
  {
    method: "get", path: "/v1/alerts/stream", operationId: "streamAlerts", tags: ["ops"], ...ops("viewer"),
    summary: "BLOCKED alerts as they are published (Server-Sent Events, one `data:` line of Alert JSON per alert)",
    description: "Each connection reads fraud-alerts with its own consumer group from the log end: only alerts published after connecting; the group is dropped when the client disconnects.",
    responses: { 200: { description: "event stream", contentType: "text/event-stream" }, ...authErrors },
  },
  ...caseRoutes({ err, authErrors, bad, ops }),
  {
    method: "post", path: "/v1/feedback", operationId: "postFeedback", tags: ["labels"], ...ops("analyst"),
    summary: "Ground-truth labels (chargebacks, analysts, customers); idempotent, changes versioned", body: FeedbackRequestSchema,
    responses: { 200: { description: "applied", schema: FeedbackResponseSchema }, ...bad, ...authErrors },
  },
  {
    method: "post", path: "/v1/risk/recompute", operationId: "recomputeRisk", tags: ["labels"], ...ops("admin"),
    summary: "Recompute merchant/terminal/card risk from labels now and publish it to the edge",
    responses: { 200: { description: "result", schema: RecomputeResponseSchema }, ...authErrors },
  },
  {
    method: "get", path: "/v1/reference/snapshot", operationId: "getReferenceSnapshot", tags: ["reference"], ...ops("reference"),
    summary: "Reference data for the edge's snapshot adapter (embedded profile)",
    responses: { 200: { description: "snapshot", schema: ReferenceSnapshotSchema }, ...authErrors },
  },
  {
    method: "post", path: "/v1/models/train", operationId: "trainModel", tags: ["models"], ...ops("analyst"),
    summary: "Train a GBDT on the feature store, point in time; runs in the background (status training → candidate | failed)",
    description: "Both fields optional (an empty body is all defaults): the window defaults to MODEL_TRAIN_WINDOW_DAYS up to now − MODEL_LABEL_DELAY_DAYS. Cut-off = min(now, train_to + label delay): only events with event time + delay ≤ cut-off, labels as recorded at the cut-off; matured unlabelled events count as legitimate.",
    body: TrainRequestSchema,
    responses: { 202: { description: "training started", schema: TrainAcceptedSchema }, ...bad, ...authErrors },
  },
  {
    method: "get", path: "/v1/models", operationId: "listModels", tags: ["models"], ...ops("analyst"),
    summary: "Every model version, newest first, with status and validation metrics",
    responses: { 200: { description: "models", schema: ModelListSchema }, ...authErrors },
  },
  {
    method: "get", path: "/v1/models/compare", operationId: "compareModels", tags: ["models"], ...ops("analyst"),
    summary: "Both models on the matured, labelled events of [from, to] in the feature store, each at its own thresholds", query: CompareQuerySchema,
    responses: { 200: { description: "scorecards", schema: CompareResponseSchema }, ...bad, ...authErrors, 404: err("unknown model or no model file"), 409: err("different feature layouts") },
  },
  {
    method: "get", path: "/v1/models/{version}", operationId: "getModel", tags: ["models"], ...ops("analyst"),
    summary: "One model: status, window, cut-off, counts, validation metrics, thresholds and its audit trail", params: ModelParamsSchema,
    responses: { 200: { description: "model", schema: ModelDetailSchema }, ...bad, ...authErrors, 404: err("unknown model") },
  },
  {
    method: "post", path: "/v1/models/{version}/shadow", operationId: "shadowModel", tags: ["models"], ...ops("admin"),
    summary: "Score this model beside the champion at the edge (the previous shadow returns to candidate); published at once", params: ModelParamsSchema,
    responses: { 200: { description: "shadowed", schema: ModelMoveSchema }, ...bad, ...authErrors, 404: err("unknown model"), 409: err("not allowed from its status"), 503: err("publication failed: the same call again re-publishes") },
  },
  {
    method: "post", path: "/v1/models/{version}/promote", operationId: "promoteModel", tags: ["models"], ...ops("admin"),
    summary: "Make this model the champion (the old one is retired); promoting a retired version is the rollback. Audited, published at once", params: ModelParamsSchema,
    responses: { 200: { description: "promoted", schema: ModelMoveSchema }, ...bad, ...authErrors, 404: err("unknown model"), 409: err("not allowed from its status"), 503: err("publication failed: the same call again re-publishes") },
  },
  ...RULES_ROUTES,
  ...LIST_ROUTES,
  {
    method: "get", path: "/metrics", operationId: "metrics", tags: ["observability"], security: [],
    summary: "Prometheus text exposition (no auth: bind to a private interface or front it with the scrape network)",
    responses: { 200: { description: "metrics", schema: z.string(), contentType: "text/plain; version=0.0.4" } },
  },
  {
    method: "get", path: "/healthz", operationId: "healthz", tags: ["observability"], security: [],
    summary: "Liveness/readiness for load balancers (no details)",
    responses: { 200: { description: "ready", schema: z.object({ status: z.literal("ok") }) }, 503: { description: "starting or stopping", schema: z.object({ status: z.literal("starting") }) } },
  },
  {
    method: "get", path: "/openapi.json", operationId: "openapi", tags: ["docs"], security: [],
    summary: "This document", responses: { 200: { description: "OpenAPI 3.1", schema: z.object({}).loose() } },
  },
  {
    method: "get", path: "/openapi/edge.json", operationId: "openapiEdge", tags: ["docs"], security: [],
    summary: "The edge API's OpenAPI 3.1 document", responses: { 200: { description: "OpenAPI 3.1", schema: z.object({}).loose() } },
  },
  {
    method: "get", path: "/docs", operationId: "docs", tags: ["docs"], security: [],
    summary: "API reference page (static, renders the OpenAPI documents)", responses: { 200: { description: "HTML", schema: z.string(), contentType: "text/html" } },
  },
];

export function aggregatorOpenApi(version = "0.1.0") {
  return buildOpenApi({
    title: "Vigil aggregator API",
    version,
    description: "Ingest from the edge, fraud operations (verdicts, card history, summaries, review queue, labels), reference data and metrics.",
    servers: [{ url: "http://127.0.0.1:8788", description: "local aggregator" }],
    securitySchemes: {
      opsToken: { type: "http", scheme: "bearer", description: "Ops token (roles viewer < analyst < admin); stored as SHA-256 only." },
      edgeSignature: { type: "apiKey", in: "header", name: "x-vigil-signature", description: "v1=<hex HMAC-SHA256 of `v1:<x-vigil-timestamp>:<body>`> with the shared ingest secret." },
    },
    routes: AGGREGATOR_ROUTES,
  });
}
