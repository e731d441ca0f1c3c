import { Hono } from "hono";
import { ModelNotFoundError, ModelTransitionError } from "./lifecycle.js";
import { CompareQuerySchema, ModelParamsSchema, TrainRequestSchema } from "./schemas.js";
import { BadRequestError, type ModelService } from "./service.js";
import { requireRole, type OpsEnv, type TokenAuth } from "../http/auth.js";
import { invalid, parseRequest, problem } from "../http/respond.js";

// The model registry's API. Analysts train and read; admins put a model in shadow or promote it
// (promoting an older version is the rollback). Every change is audited in the registry.

export interface ModelRouteDeps {
  auth: TokenAuth;
  /** Undefined when this process runs without the learning loop: the routes answer 503. */
  models?: ModelService;
}

function failure(e: unknown) {
  if (e instanceof ModelNotFoundError) return problem(404, "MODEL_NOT_FOUND", e.message);
  if (e instanceof ModelTransitionError) return problem(409, "INVALID_TRANSITION", e.message);
  if (e instanceof BadRequestError) return invalid([{ path: e.field, message: e.message }]);
  throw e;
}

export function modelRoutes(deps: ModelRouteDeps): Hono<OpsEnv> {
  const app = new Hono<OpsEnv>();
  const analyst = requireRole(deps.auth, "analyst");
  const admin = requireRole(deps.auth, "admin");
  const service = () => deps.models ?? problem(503, "MODELS_UNAVAILABLE", "the model registry is not configured in this process", { retriable: true });

  app.post("/v1/models/train", analyst, async (c) => {
    const m = service();
    if (m instanceof Response) return m;
    // An empty body means "all defaults".
    const text = await c.req.text();
    let raw: unknown = {};
    if (text.trim() !== "") {
      try {
        raw = JSON.parse(text);
      } catch {
        return invalid([{ path: "(body)", message: "not valid JSON" }]);
      }
    }
    const r = TrainRequestSchema.safeParse(raw);
    if (!r.success) return invalid(r.error.issues.map((i) => ({ path: i.path.join(".") || "(body)", message: i.message })));
    try {
      const row = await m.startTraining(r.data, c.get("principal").name);
      return c.json({ version: row.version, status: "training" as const, train_from: row.train_from, train_to: row.train_to, cutoff: row.cutoff }, 202);
    } catch (e) {
      return failure(e);
    }
  });

  app.get("/v1/models", analyst, async (c) => {
    const m = service();
    if (m instanceof Response) return m;
    return c.json({ models: await m.list() });
  });

  // Before /v1/models/:version, which would otherwise take "compare" for a version.
  app.get("/v1/models/compare", analyst, async (c) => {
    const m = service();
    if (m instanceof Response) return m;
    const q = await parseRequest(c, "query", CompareQuerySchema);
    if (!q.ok) return q.response;
    try {
      return c.json(await m.compare(q.value));
    } catch (e) {
      if (e instanceof RangeError) return problem(409, "MODELS_NOT_COMPARABLE", e.message);
      return failure(e);
    }
  });

  app.get("/v1/models/:version", analyst, async (c) => {
    const m = service();
    if (m instanceof Response) return m;
    const p = await parseRequest(c, "params", ModelParamsSchema);
    if (!p.ok) return p.response;
    const found = await m.get(p.value.version);
    if (!found) return problem(404, "MODEL_NOT_FOUND", `unknown model ${p.value.version}`);
    return c.json({ ...found.model, events: found.events });
  });

  for (const action of ["shadow", "promote"] as const) {
    app.post(`/v1/models/:version/${action}`, admin, async (c) => {
      const m = service();
      if (m instanceof Response) return m;
      const p = await parseRequest(c, "params", ModelParamsSchema);
      if (!p.ok) return p.response;
      try {
        return c.json(await m[action](p.value.version, c.get("principal").name));
      } catch (e) {
        if (e instanceof ModelNotFoundError || e instanceof ModelTransitionError) return failure(e);
        // The registry changed but the edge did not hear of it: the same call again re-publishes.
        return problem(503, "PUBLISH_FAILED", `publication to the edge failed (${e instanceof Error ? e.message.slice(0, 200) : "unknown"}); retry the same call`, { retriable: true });
      }
    });
  }
  return app;
}
