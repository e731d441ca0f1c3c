import { Hono, type Context } from "hono";
import { authenticate, authorizeChannels } from "./auth.js";
import type { ConfigError } from "./config.js";
import { HttpError, httpErrorBody } from "./errors.js";
import type { EdgeDeps, Logger } from "./ports.js";
import { health } from "./routes/health.js";
import { describe, scoreAndForward } from "./routes/score.js";
import { parseBatch, parseJson, parseSingle, readBody, requireJson } from "./routes/validate.js";
import { refuseCardNumbersOutsideBody, safePath } from "./routes/request-guard.js";
import { containsCardNumber } from "../core/pan-guard.js";

// The edge HTTP API as one runtime-neutral Hono app; worker.ts (Workers) and the Deno entry build
// its dependencies. Every failure leaves through onError as {error:{code,message,request_id}}.

type Env = { Variables: { requestId: string } };

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function requestIdOf(req: Request): string {
  const given = req.headers.get("x-request-id");
  // A card number is never echoed: such an id is replaced (and the request refused by the guard).
  return given !== null && REQUEST_ID.test(given) && !containsCardNumber(given) ? given : crypto.randomUUID();
}

function errorResponse(err: HttpError, requestId: string): Response {
  const headers = new Headers({ "content-type": "application/json; charset=utf-8", "x-request-id": requestId });
  for (const [k, v] of Object.entries(err.headers ?? {})) headers.set(k, v);
  return new Response(JSON.stringify(httpErrorBody(err, requestId)), { status: err.status, headers });
}

/** The answer every route gives when the configuration is wrong; logs the settings' names only. */
export function configFailureResponse(req: Request, err: ConfigError, log: Logger): Response {
  const requestId = requestIdOf(req);
  log.error("CONFIG_INVALID", { request_id: requestId, settings: err.settings.join(","), detail: err.message.slice(0, 500) });
  return errorResponse(
    new HttpError("CONFIG_INVALID", `edge configuration is invalid (${err.settings.join(", ")}); see the logs`),
    requestId,
  );
}

function methodNotAllowed(allow: string) {
  return () => {
    throw new HttpError("METHOD_NOT_ALLOWED", `use ${allow}`, undefined, { Allow: allow });
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
    const [scored] = await scoreAndForward(deps, [event], startedMs, c.get("requestId"));
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
    const scored = await scoreAndForward(deps, events, startedMs, c.get("requestId"));
    return c.json({ results: scored.map((s) => s.response) });
  });
  app.all("/v1/transactions/score/batch", methodNotAllowed("POST"));

  app.notFound((c) => {
    return errorResponse(new HttpError("NOT_FOUND", `no route ${c.req.method} ${safePath(c.req.raw)}`), c.get("requestId"));
  });

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? requestIdOf(c.req.raw);
    if (err instanceof HttpError) {
      if (err.status >= 500) log.error(err.code, { request_id: requestId, message: err.message });
      else log.info(err.code, { request_id: requestId, status: err.status, path: safePath(c.req.raw) });
      return errorResponse(err, requestId);
    }
    log.error("INTERNAL", { request_id: requestId, error: describe(err) });
    return errorResponse(new HttpError("INTERNAL", "internal error"), requestId);
  });

  return app;
}
