import { Hono } from "hono";
import { problem } from "./http/respond.js";
import type { Alert } from "../core/schemas.js";
import type { Logger } from "../core/contracts/logger.js";
import { validateEnvelope } from "./bus/envelope.js";
import { requireRole, type OpsEnv, type TokenAuth } from "./http/auth.js";
import { TOPICS, type EventBus, type MessageBatch, type Subscription } from "./ports/index.js";

// GET /v1/alerts/stream: BLOCKED alerts as Server-Sent Events (`data: <Alert JSON>`), for the CLI's
// consume-alerts and dashboards on any profile. Each connection reads the fraud-alerts topic with
// its own consumer group that starts at the log end, so it sees alerts published after it
// connected and never moves the sinks' offsets; the group stops when the client goes away.

export interface AlertsStreamDeps {
  bus: EventBus;
  auth: TokenAuth;
  log: Logger;
  /** Comment lines keep proxies from closing an idle stream. */
  heartbeatMs?: number;
  /** A client this many frames behind is disconnected rather than buffered without bound. */
  maxQueuedFrames?: number;
  /**
   * Open streams allowed per token (principal) and in all; past either, 429 TOO_MANY_STREAMS with
   * Retry-After. Each stream holds a bus consumer group, so an unbounded number is a cheap way to
   * exhaust the bus. Defaults 4 and 64.
   */
  limits?: { perToken: number; total: number };
}

const encoder = new TextEncoder();

export function alertsStreamRoutes(deps: AlertsStreamDeps): Hono<OpsEnv> {
  const app = new Hono<OpsEnv>();
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const maxQueued = deps.maxQueuedFrames ?? 10_000;
  const limits = deps.limits ?? { perToken: 4, total: 64 };
  const open = new Map<string, number>();
  let openTotal = 0;

  app.get("/v1/alerts/stream", requireRole(deps.auth, "viewer"), async (c) => {
    const principal = c.get("principal").name;
    const mine = open.get(principal) ?? 0;
    if (mine >= limits.perToken || openTotal >= limits.total) {
      const scope = mine >= limits.perToken ? `${limits.perToken} per token` : `${limits.total} in all`;
      deps.log.warn("ALERT_STREAM_REFUSED", { principal, open: mine, open_total: openTotal, limit: scope });
      return problem(429, "TOO_MANY_STREAMS", `too many open alert streams (at most ${scope}); close one or retry later`, { retriable: true, headers: { "Retry-After": "30" } });
    }
    // Counted from here until cleanup, whatever ends the stream (client, error, slow reader).
    open.set(principal, mine + 1);
    openTotal++;
    let counted = true;
    const uncount = (): void => {
      if (!counted) return;
      counted = false;
      openTotal--;
      const n = (open.get(principal) ?? 1) - 1;
      if (n <= 0) open.delete(principal);
      else open.set(principal, n);
    };
    const groupId = `vigil-alerts-stream-${crypto.randomUUID()}`;
    let subscription: Subscription | undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    let closed = false;
    let controller!: ReadableStreamDefaultController<Uint8Array>;

    const cleanup = (reason: string): void => {
      uncount();
      if (closed) return;
      closed = true;
      if (heartbeat) clearInterval(heartbeat);
      const sub = subscription;
      subscription = undefined;
      if (sub) sub.stop().catch((e: unknown) => deps.log.warn("ALERT_STREAM_STOP_FAILED", { groupId, error: String(e) }));
      deps.log.info("ALERT_STREAM_CLOSED", { groupId, reason });
    };
    const send = (frame: string): void => {
      if (closed) return;
      if ((controller.desiredSize ?? 0) < -maxQueued) {
        deps.log.warn("ALERT_STREAM_CLIENT_TOO_SLOW", { groupId, maxQueued });
        cleanup("client too slow");
        controller.error(new Error("client too slow"));
        return;
      }
      controller.enqueue(encoder.encode(frame));
    };

    // A transaction published twice (the corner the ingest ledger cannot close: a process dying
    // between Kafka's ack and its mark) is shown once per connection; bounded, oldest forgotten first.
    const shown = new Set<string>();
    const firstShowing = (id: string): boolean => {
      if (shown.has(id)) return false;
      shown.add(id);
      if (shown.size > 10_000) shown.delete(shown.values().next().value as string);
      return true;
    };
    const handleBatch = async (batch: MessageBatch): Promise<void> => {
      for (const m of batch.messages) {
        const decoded = validateEnvelope(m.value, ["vigil.alert"]);
        if (!decoded.ok) {
          // Dead-lettering is the alert sink's job; the stream only skips what it cannot show.
          deps.log.warn("ALERT_STREAM_SKIPPED", { groupId, error: decoded.error });
          continue;
        }
        const alert = decoded.value.payload as Alert;
        if (alert.action_taken === "BLOCKED" && firstShowing(alert.transaction_id)) send(`id: ${batch.topic}/${batch.partition}@${m.position.offset}\ndata: ${JSON.stringify(alert)}\n\n`);
      }
    };

    const body = new ReadableStream<Uint8Array>(
      {
        start(ctl) {
          controller = ctl;
        },
        cancel() {
          cleanup("client disconnected");
        },
      },
      { highWaterMark: 1 },
    );
    c.req.raw.signal.addEventListener("abort", () => cleanup("request aborted"));

    try {
      subscription = await deps.bus.subscribe({ groupId, topics: [TOPICS.alerts], fromEnd: true, handleBatch });
    } catch (e) {
      closed = true;
      uncount();
      deps.log.error("ALERT_STREAM_SUBSCRIBE_FAILED", { groupId, error: String(e) });
      return problem(503, "BUS_UNAVAILABLE", "cannot subscribe to fraud-alerts; retry", { retriable: true });
    }
    if (closed) {
      // The client left while we were subscribing.
      await subscription.stop();
    }
    deps.log.info("ALERT_STREAM_OPENED", { groupId, principal, open: open.get(principal) ?? 0, open_total: openTotal });
    send(": subscribed to fraud-alerts (BLOCKED)\n\n");
    heartbeat = setInterval(() => send(": keep-alive\n\n"), heartbeatMs);
    heartbeat.unref?.();
    return new Response(body, {
      status: 200,
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" },
    });
  });
  return app;
}
