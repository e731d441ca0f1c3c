import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requireRole, type OpsEnv } from "../http/auth.js";
import type { OpsDeps } from "./deps.js";
import { checkHealth } from "./health.js";
import { parseRequest, problem } from "../http/respond.js";
import { buildSnapshot } from "../reference/publish.js";
import { reviewRoutes } from "../cases/review-routes.js";
import { modelRoutes } from "../training/routes.js";
import { rulesRoutes } from "../rules/routes.js";
import { listRoutes } from "../lists/routes.js";
import { falsePositiveStats } from "../risk/risk.js";
import { CardParamsSchema, HistoryQuerySchema, SummaryQuerySchema } from "./schemas.js";
import type { z } from "zod";
import type { FraudSummaryResponseSchema, FraudVerdictResponseSchema } from "./schemas.js";
import { isoOf } from "../ports/index.js";
import { TransactionParamsSchema } from "../http/schemas.js";

// The fraud-operations API (/v1). Every route authenticates (401/403 per role); inputs are
// validated with zod (400 naming field and problem, nothing changed).


const DAY_MS = 86_400_000;
const TIER_RANK = { LOW: 0, MEDIUM: 1, HIGH: 2 } as const;

export function createOpsRoutes(deps: OpsDeps): Hono<OpsEnv> {
  const app = new Hono<OpsEnv>();
  const viewer = requireRole(deps.auth, "viewer");
  const admin = requireRole(deps.auth, "admin");
  // Before auth and parsing, on every ops route with a body (the review and model routes too, as
  // they are mounted below): declared or streamed, a body over the limit is refused 413 unread.
  const maxBodyBytes = deps.maxBodyBytes ?? 1024 * 1024;
  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => problem(413, "PAYLOAD_TOO_LARGE", `body larger than ${maxBodyBytes} bytes`),
  });
  app.use("/v1/*", (c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? next() : limit(c, next)));

  app.get("/v1/health", viewer, async (c) => c.json(await checkHealth(deps.health)));

  app.get("/v1/transactions/:transaction_id/fraud-verdict", viewer, async (c) => {
    const p = await parseRequest(c, "params", TransactionParamsSchema);
    if (!p.ok) return p.response;
    const stored = await deps.verdicts.getVerdict(p.value.transaction_id);
    if (!stored) return problem(404, "NOT_FOUND", `no verdict for transaction ${p.value.transaction_id}`);
    const { event, verdict, region, received_at } = stored.record;
    const labels = await deps.sql.query<{ is_fraud: boolean; source: string; version: number; labelled_at: unknown }>(
      "SELECT is_fraud, source, version, labelled_at FROM fraud_ops.current_labels WHERE transaction_id = $1",
      [event.transaction_id],
    );
    const l = labels.rows[0];
    const body: z.infer<typeof FraudVerdictResponseSchema> = {
      transaction_id: event.transaction_id,
      fraud_score: verdict.fraud_score,
      verdict: verdict.verdict,
      confidence: verdict.confidence,
      rule_triggers: verdict.rule_triggers,
      ml_score: verdict.ml_score,
      processing_latency_ms: verdict.latency_ms,
      timestamp_utc: new Date(Date.parse(received_at) + verdict.latency_ms).toISOString(),
      event_timestamp_utc: event.timestamp_utc,
      reasons: verdict.reasons,
      versions: { model_version: verdict.model_version, rules_version: verdict.rules_version },
      channel: event.channel,
      region,
      processed_at: stored.processed_at,
      label: l ? { is_fraud: l.is_fraud, source: l.source, version: l.version, labelled_at: isoOf(l.labelled_at) } : null,
    };
    return c.json(body);
  });

  app.get("/v1/cards/:card_hash/fraud-history", viewer, async (c) => {
    const p = await parseRequest(c, "params", CardParamsSchema);
    if (!p.ok) return p.response;
    const q = await parseRequest(c, "query", HistoryQuerySchema);
    if (!q.ok) return q.response;
    const card = p.value.card_hash;
    const since = deps.now() - 90 * DAY_MS;
    const [alerts, total, userRisk, labelRisk] = await Promise.all([
      deps.verdicts.alertsForCard(card, { limit: q.value.limit, sinceMs: since }),
      deps.verdicts.countAlertsForCard(card, since),
      deps.verdicts.getUserRisk(card),
      deps.sql.query<{ tier: "MEDIUM" | "HIGH" }>("SELECT tier FROM fraud_ops.card_risk WHERE card_number_hash = $1", [card]),
    ]);
    // The stricter of the streaming tier (alerts) and the label-derived tier (confirmed fraud).
    const tiers = [userRisk?.risk_tier ?? "LOW", labelRisk.rows[0]?.tier ?? "LOW"] as const;
    const risk_tier = TIER_RANK[tiers[0]] >= TIER_RANK[tiers[1]] ? tiers[0] : tiers[1];
    return c.json({ card_hash: card, total_alerts_90d: total, risk_tier, fraud_history: alerts });
  });

  app.get("/v1/metrics/fraud-summary", viewer, async (c) => summary(c, deps));

  // The edge's snapshot token has the "reference" role: this route and nothing else.
  app.get("/v1/reference/snapshot", requireRole(deps.auth, "reference"), async (c) => {
    c.header("Cache-Control", "no-store");
    const { models, rules } = deps;
    // The model registry's and the rules registry's parts win over the base's versions.
    const overlay = models || rules ? async () => ({ ...(models ? await models.snapshotModels() : {}), ...(rules ? await rules.snapshotRules() : {}) }) : undefined;
    return c.json(await buildSnapshot(deps.sql, deps.snapshotBase, overlay, new Date(deps.now()).toISOString()));
  });

  app.post("/v1/risk/recompute", admin, async (c) => c.json(await deps.riskJob.run()));

  app.route("/", reviewRoutes(deps));
  app.route("/", modelRoutes(deps));
  app.route("/", rulesRoutes(deps));
  app.route("/", listRoutes(deps));
  return app;
}

async function summary(c: Context<OpsEnv>, deps: OpsDeps) {
  const q = await parseRequest(c, "query", SummaryQuerySchema);
  if (!q.ok) return q.response;
  const [rows, fp] = await Promise.all([deps.summaries.summaryForDate(q.value.date), falsePositiveStats(deps.sql, q.value.date)]);
  let labelled = 0;
  let legit = 0;
  const by = rows.map((r) => {
    const s = fp.get(r.merchant_category);
    labelled += s?.flagged_labelled ?? 0;
    legit += s?.flagged_legit ?? 0;
    return {
      merchant_category: r.merchant_category,
      total_transactions: r.total_transactions,
      flagged: r.flagged_count,
      blocked: r.blocked_count,
      // Label-derived when labels exist for that day and category; the store's value otherwise.
      false_positive_rate: s ? s.false_positive_rate : r.false_positive_rate,
      avg_fraud_score: r.avg_fraud_score,
      total_fraud_amount_usd: r.total_fraud_amount,
    };
  });
  const total = by.reduce((a, r) => a + r.total_transactions, 0);
  const body: z.infer<typeof FraudSummaryResponseSchema> = {
    date: q.value.date,
    total_transactions: total,
    flagged: by.reduce((a, r) => a + r.flagged, 0),
    blocked: by.reduce((a, r) => a + r.blocked, 0),
    false_positive_rate: labelled > 0 ? Math.round((legit / labelled) * 1e4) / 1e4 : 0,
    labelled_flagged: labelled,
    avg_fraud_score: total > 0 ? by.reduce((a, r) => a + r.avg_fraud_score * r.total_transactions, 0) / total : 0,
    total_fraud_amount_usd: Math.round(by.reduce((a, r) => a + r.total_fraud_amount_usd, 0) * 100) / 100,
    by_merchant_category: by,
  };
  return c.json(body);
}
