import { Hono, type Context } from "hono";
import { authenticate, authorizeChannels } from "./auth.js";
import type { ConfigError } from "../core/contracts/config-error.js";
import { errorResponse, VigilError } from "../core/contracts/errors.js";
import { edgeError } from "./errors.js";
import type { EdgeDeps, Logger } from "./ports.js";
import { health } from "./routes/health.js";
import { describe, scoreEvents } from "./routes/score.js";
import { opsRoutes } from "./routes/ops.js";
import { parseBatch, parseJson, parseSingle, readBody, requireJson } from "./routes/validate.js";
import { refuseCardNumbersOutsideBody, safePath } from "./routes/request-guard.js";
import { containsCardNumber } from "../core/pan-guard.js";

// The edge HTTP API as one runtime-neutral Hono app; worker.ts (Workers) and the Deno entry build
// its dependencies. Every failure leaves through onError as core's errorResponse:
// {error:{code,message,request_id,retriable,issues?}}.

type Env = { Variables: { requestId: string } };

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function requestIdOf(req: Request): string {
  const given = req.headers.get("x-request-id");
  // A card number is never echoed: such an id is replaced (and the request refused by the guard).
  return given !== null && REQUEST_ID.test(given) && !containsCardNumber(given) ? given : crypto.randomUUID();
}

/** The answer every route gives when the configuration is wrong; logs the settings' names only. */
export function configFailureResponse(req: Request, err: ConfigError, log: Logger): Response {
  const requestId = requestIdOf(req);
  log.error("CONFIG_INVALID", { request_id: requestId, settings: err.settings.join(","), detail: err.message.slice(0, 500) });
  return errorResponse(
    edgeError("CONFIG_INVALID", `edge configuration is invalid (${err.settings.join(", ")}); see the logs`),
    requestId,
  );
}

function methodNotAllowed(allow: string) {
  return () => {
    throw edgeError("METHOD_NOT_ALLOWED", `use ${allow}`, undefined, { Allow: allow });
  };
}

export function createApp(deps: EdgeDeps): Hono<Env> {
  const app = new Hono<Env>();
  const { config, log } = deps;

  app.use("*", async (c, next) => {
    const id = requestIdOf(c.req.raw);
    c.set("requestId", id);
    refuseCardNumbersOutsideBody(c.req.raw);
    await next();
    c.header("x-request-id", id);
  });

  app.get("/v1/health", health(deps));
  app.all("/v1/health", methodNotAllowed("GET, HEAD"));

  const prepare = async (c: Context<Env>, limit: number) => {
    const token = await authenticate(c.req.header("authorization"), config.EDGE_TOKENS);
    requireJson(c.req.header("content-type"));
    const body = parseJson(await readBody(c.req.raw, limit));
    return { token, body };
  };

  app.post("/v1/transactions/score", async (c) => {
    const startedMs = deps.now();
    const { token, body } = await prepare(c, config.MAX_BODY_BYTES);
    const event = parseSingle(body, startedMs, config);
    authorizeChannels(token, [{ path: "channel", channel: event.channel }]);
    const [scored] = await scoreEvents(deps, [event], startedMs, c.get("requestId"), { tokenId: token.id });
    if (!scored) throw new Error("scorer returned no outcome");
    if (scored.duplicate) c.header("x-vigil-duplicate", "true");
    return c.json(scored.response);
  });
  app.all("/v1/transactions/score", methodNotAllowed("POST"));

  app.post("/v1/transactions/score/batch", async (c) => {
    const startedMs = deps.now();
    const { token, body } = await prepare(c, config.MAX_BATCH_BODY_BYTES);
    const events = parseBatch(body, startedMs, config);
    authorizeChannels(
      token,
      events.map((e, i) => ({ path: `transactions.${i}.channel`, channel: e.channel })),
    );
    const scored = await scoreEvents(deps, events, startedMs, c.get("requestId"), { tokenId: token.id });
    // A duplicate is marked in the batch answer as the single answer marks it (x-vigil-duplicate).
    const duplicates = scored.filter((s) => s.duplicate).length;
    if (duplicates > 0) c.header("x-vigil-duplicates", String(duplicates));
    return c.json({ results: scored.map((s) => (s.duplicate ? { ...s.response, duplicate: true } : s.response)) });
  });
  app.all("/v1/transactions/score/batch", methodNotAllowed("POST"));

  opsRoutes(app, deps);
  app.all("/v1/ops/dead-letters", methodNotAllowed("GET"));
  app.all("/v1/ops/dead-letters/redrive", methodNotAllowed("POST"));

  app.notFound((c) => {
    return errorResponse(edgeError("NOT_FOUND", `no route ${c.req.method} ${safePath(c.req.raw)}`), c.get("requestId"));
  });

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? requestIdOf(c.req.raw);
    if (err instanceof VigilError) {
      if (err.status >= 500) log.error(err.code, { request_id: requestId, message: err.message });
      else log.info(err.code, { request_id: requestId, status: err.status, path: safePath(c.req.raw) });
      return errorResponse(err, requestId);
    }
    log.error("INTERNAL", { request_id: requestId, error: describe(err) });
    return errorResponse(edgeError("INTERNAL", "internal error"), requestId);
  });

  return app;
}
