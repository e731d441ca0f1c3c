import { Hono } from "hono";
import { requireRole, type OpsEnv, type TokenAuth } from "../http/auth.js";
import { parseRequest, problem } from "../http/respond.js";
import { BacktestRequestSchema, RuleSetCreateSchema, RulesParamsSchema, StatsQuerySchema } from "./schemas.js";
import { BacktestUnavailableError, RulesPublishError, type RuleService } from "./service.js";
import { RuleSetNotFoundError, RuleTransitionError, RuleVersionConflictError } from "./store.js";

// The rules API. Admins write, shadow and activate rule sets (activating an older version is the
// rollback); analysts read, backtest and compare. Every move is audited with the diff of rules.

export interface RuleRouteDeps {
  auth: TokenAuth;
  /** Undefined when this process runs without the rules registry: the routes answer 503. */
  rules?: RuleService;
}

const detail = (e: unknown) => (e instanceof Error ? e.message.slice(0, 200) : "unknown");

export function rulesRoutes(deps: RuleRouteDeps): Hono<OpsEnv> {
  const app = new Hono<OpsEnv>();
  const analyst = requireRole(deps.auth, "analyst");
  const admin = requireRole(deps.auth, "admin");
  const service = () => deps.rules ?? problem(503, "RULES_UNAVAILABLE", "the rules registry is not configured in this process", { retriable: true });
  const notFound = (version: string) => problem(404, "RULE_SET_NOT_FOUND", `unknown rule set ${version}`);

  app.post("/v1/rules", admin, async (c) => {
    const s = service();
    if (s instanceof Response) return s;
    const b = await parseRequest(c, "body", RuleSetCreateSchema);
    if (!b.ok) return b.response;
    try {
      const { row, created } = await s.create(b.value, c.get("principal").name);
      return c.json({ ...row, created }, created ? 201 : 200);
    } catch (e) {
      if (e instanceof RuleVersionConflictError) return problem(409, "RULE_VERSION_EXISTS", e.message);
      throw e;
    }
  });

  app.get("/v1/rules", analyst, async (c) => {
    const s = service();
    if (s instanceof Response) return s;
    const { state, rows } = await s.list();
    return c.json({ active_version: state.active, shadow_version: state.shadow, rule_sets: rows });
  });

  // Before /v1/rules/:version routes of other methods only; GET /v1/rules/shadow would be a version.
  app.delete("/v1/rules/shadow", admin, async (c) => {
    const s = service();
    if (s instanceof Response) return s;
    try {
      return c.json(await s.stopShadow(c.get("principal").name));
    } catch (e) {
      return problem(503, "PUBLISH_FAILED", `publication to the edge failed (${detail(e)}); retry the same call`, { retriable: true });
    }
  });

  app.get("/v1/rules/:version", analyst, async (c) => {
    const s = service();
    if (s instanceof Response) return s;
    const p = await parseRequest(c, "params", RulesParamsSchema);
    if (!p.ok) return p.response;
    const found = await s.get(p.value.version);
    if (!found) return notFound(p.value.version);
    return c.json({ ...found.row, rule_set: found.ruleSet, events: found.events });
  });

  app.post("/v1/rules/:version/backtest", analyst, async (c) => {
    const s = service();
    if (s instanceof Response) return s;
    const p = await parseRequest(c, "params", RulesParamsSchema);
    if (!p.ok) return p.response;
    const b = await parseRequest(c, "body", BacktestRequestSchema);
    if (!b.ok) return b.response;
    try {
      return c.json(await s.backtest(p.value.version, b.value.from, b.value.to));
    } catch (e) {
      if (e instanceof RuleSetNotFoundError) return notFound(p.value.version);
      if (e instanceof BacktestUnavailableError) return problem(503, "BACKTEST_UNAVAILABLE", e.message, { retriable: true });
      throw e;
    }
  });

  app.get("/v1/rules/:version/stats", analyst, async (c) => {
    const s = service();
    if (s instanceof Response) return s;
    const p = await parseRequest(c, "params", RulesParamsSchema);
    if (!p.ok) return p.response;
    const q = await parseRequest(c, "query", StatsQuerySchema);
    if (!q.ok) return q.response;
    const stats = await s.stats(p.value.version, q.value.from, q.value.to);
    if (!stats) return notFound(p.value.version);
    return c.json({ version: p.value.version, from: q.value.from, to: q.value.to, ...stats });
  });

  for (const [action, to] of [["activate", "active"], ["shadow", "shadow"]] as const) {
    app.post(`/v1/rules/:version/${action}`, admin, async (c) => {
      const s = service();
      if (s instanceof Response) return s;
      const p = await parseRequest(c, "params", RulesParamsSchema);
      if (!p.ok) return p.response;
      try {
        const m = await s.move(p.value.version, to, c.get("principal").name);
        return c.json({ version: m.version, status: to, previous_version: m.previous, diff: m.diff, published_to: m.published_to });
      } catch (e) {
        if (e instanceof RuleSetNotFoundError) return notFound(p.value.version);
        if (e instanceof RuleTransitionError) return problem(409, "INVALID_TRANSITION", e.message);
        // The registry changed but the edge did not hear of it: the same call again re-publishes.
        if (e instanceof RulesPublishError) return problem(503, "PUBLISH_FAILED", `publication to the edge failed (${detail(e)}); retry the same call`, { retriable: true });
        throw e;
      }
    });
  }
  return app;
}
