import { Hono } from "hono";
import { findCardNumberInRequest, safeRequestPath } from "../core/pan-guard.js";
import type { Logger } from "../core/contracts/logger.js";
import { jsonLogger } from "./log.js";
import { problem } from "./http/respond.js";
import { mountIngest, type IngestDeps, type IngestOptions } from "./ingest/route.js";
import { noopMetrics, type Metrics, type PromMetrics } from "./metrics.js";
import type { EventBus } from "./ports/index.js";

// The aggregator's HTTP app, on Web Request/Response so it runs under any Hono adapter. Routes are
// mounted from a deps object; more (the ops API) are added with `app.route(...)` on the result.


export interface AppDeps {
  bus: EventBus;
  /** Ingest is mounted only when given (a sink-only worker serves no ingest). */
  ingest?: IngestOptions;
  metrics?: Metrics | PromMetrics;
  now?: () => number;
  log?: Logger;
  replayGuard?: IngestDeps["replayGuard"];
  ledger?: IngestDeps["ledger"];
  /** For /healthz: false while starting or shutting down. */
  ready?: () => boolean;
}


const hasRegistry = (m: Metrics | PromMetrics): m is PromMetrics => "registry" in m;

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const metrics = deps.metrics ?? noopMetrics;
  const log = deps.log ?? jsonLogger;
  // The PAN guard over path, query and headers, before any route (bodies: parseWith in each route).
  app.use("*", async (c, next) => {
    const where = findCardNumberInRequest(c.req.url, c.req.raw.headers.entries());
    if (where === undefined) return next();
    log.info("CARD_NUMBER_REFUSED", { where, path: safeRequestPath(c.req.url) });
    return problem(400, "CARD_NUMBER_REFUSED", `a raw card number was sent in ${where}; send card hashes only`, {
      issues: [{ path: where, message: "looks like a raw card number (13–19 digits passing Luhn)" }],
    });
  });
  app.get("/healthz", (c) => (deps.ready?.() ?? true ? c.json({ status: "ok" }) : c.json({ status: "starting" }, 503)));
  if (deps.ingest) {
    mountIngest(app, deps.ingest, {
      bus: deps.bus,
      metrics,
      now: deps.now ?? Date.now,
      log,
      ...(deps.replayGuard ? { replayGuard: deps.replayGuard } : {}),
      ...(deps.ledger ? { ledger: deps.ledger } : {}),
    });
  }
  if (hasRegistry(metrics)) {
    const registry = metrics.registry;
    app.get("/metrics", async (c) => c.text(await registry.metrics(), 200, { "content-type": registry.contentType }));
  }
  app.onError((err, c) => {
    log.error("UNHANDLED", { error: err.message, path: safeRequestPath(c.req.url) });
    return problem(500, "INTERNAL", "internal error", { retriable: true });
  });
  app.notFound((c) => problem(404, "NOT_FOUND", `no route ${c.req.method} ${safeRequestPath(c.req.url)}`));
  return app;
}
