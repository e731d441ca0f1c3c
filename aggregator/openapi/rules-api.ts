import {
  BacktestRequestSchema, BacktestResponseSchema, RuleMoveSchema, RuleSetCreateSchema, RuleSetCreatedSchema, RuleSetDetailSchema,
  RuleSetListSchema, RulesParamsSchema, ShadowStoppedSchema, StatsQuerySchema, StatsResponseSchema,
} from "../rules/schemas.js";
import type { ResponseDoc, RouteDoc } from "./builder.js";
import { ErrorResponseSchema } from "../http/schemas.js";

// The rules API's routes (aggregator/rules/routes.ts) as OpenAPI descriptors; spread into
// AGGREGATOR_ROUTES (aggregator-api.ts).

const err = (description: string): ResponseDoc => ({ description, schema: ErrorResponseSchema });
const authErrors = { 401: err("missing, unknown or revoked token"), 403: err("role too low") };
const bad = { 400: err("invalid input: each issue names the field and the problem (e.g. rules.3.when.feature); nothing changed") };
const unavailable = { 503: err("token store or rules registry unavailable") };
const ops = (role: "analyst" | "admin") => ({ security: ["opsToken"], description: `Requires role ${role} or higher.` });
const published = { 503: err("PUBLISH_FAILED: the registry changed but the edge did not hear of it; the same call again re-publishes") };

export const RULES_ROUTES: RouteDoc[] = [
  {
    method: "post", path: "/v1/rules", operationId: "createRuleSet", tags: ["rules"], ...ops("admin"),
    summary: "Store a tier-1 rule set (core rule-set format) as a new version; the same content again is a no-op (200)", body: RuleSetCreateSchema,
    responses: { 201: { description: "stored", schema: RuleSetCreatedSchema }, 200: { description: "already stored with this content", schema: RuleSetCreatedSchema }, ...bad, ...authErrors, 409: err("RULE_VERSION_EXISTS: the version holds other rules (versions are immutable)"), ...unavailable },
  },
  {
    method: "get", path: "/v1/rules", operationId: "listRuleSets", tags: ["rules"], ...ops("analyst"),
    summary: "Every rule-set version, newest first, with the active and shadow versions",
    responses: { 200: { description: "rule sets", schema: RuleSetListSchema }, ...authErrors, ...unavailable },
  },
  {
    method: "delete", path: "/v1/rules/shadow", operationId: "stopShadowRuleSet", tags: ["rules"], ...ops("admin"),
    summary: "Stop evaluating the shadow rule set at the edge (audited, published at once)",
    responses: { 200: { description: "stopped (previous_version null: none was in shadow)", schema: ShadowStoppedSchema }, ...authErrors, ...published },
  },
  {
    method: "get", path: "/v1/rules/{version}", operationId: "getRuleSet", tags: ["rules"], ...ops("analyst"),
    summary: "One rule set with its status and audit trail (who created, activated, shadowed it; the diff of rule ids)", params: RulesParamsSchema,
    responses: { 200: { description: "rule set", schema: RuleSetDetailSchema }, ...bad, ...authErrors, 404: err("unknown rule set"), ...unavailable },
  },
  {
    method: "post", path: "/v1/rules/{version}/backtest", operationId: "backtestRuleSet", tags: ["rules"], ...ops("analyst"),
    summary: "Replay the archived events of [from, to) (≤ 31 days) through this set and the active one; hits, precision, recall and false positives per rule and overall against current labels",
    description: "Events are replayed in event-time order with fresh card state, both sets with the bundled model and config; unlabelled events count as legitimate (as in `vigil backtest`). Block-list rules cannot fire (reference lookups are not archived).",
    params: RulesParamsSchema, body: BacktestRequestSchema,
    responses: { 200: { description: "figures", schema: BacktestResponseSchema }, ...bad, ...authErrors, 404: err("unknown rule set"), 503: err("no archive configured, or token store unavailable") },
  },
  {
    method: "get", path: "/v1/rules/{version}/stats", operationId: "ruleSetStats", tags: ["rules"], ...ops("analyst"),
    summary: "Live traffic of [from, to): this version's hits (as shadow or active) beside the active set's on the same transactions; precision over labelled hits",
    params: RulesParamsSchema, query: StatsQuerySchema,
    responses: { 200: { description: "comparison", schema: StatsResponseSchema }, ...bad, ...authErrors, 404: err("unknown rule set"), ...unavailable },
  },
  {
    method: "post", path: "/v1/rules/{version}/activate", operationId: "activateRuleSet", tags: ["rules"], ...ops("admin"),
    summary: "Make this version decide at the edge (activating an older version is the rollback); audited with the diff of rules, published at once", params: RulesParamsSchema,
    responses: { 200: { description: "active", schema: RuleMoveSchema }, ...bad, ...authErrors, 404: err("unknown rule set"), ...published },
  },
  {
    method: "post", path: "/v1/rules/{version}/shadow", operationId: "shadowRuleSet", tags: ["rules"], ...ops("admin"),
    summary: "Evaluate this version beside the active set at the edge; it never changes a verdict, its hits are forwarded and stored", params: RulesParamsSchema,
    responses: { 200: { description: "in shadow", schema: RuleMoveSchema }, ...bad, ...authErrors, 404: err("unknown rule set"), 409: err("the version is the active one"), ...published },
  },
];
