import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorBody } from "../../core/contracts/errors.js";
import type { Logger } from "../../core/contracts/logger.js";
import { IngestBatchSchema, parseWith, type FieldIssue } from "../../core/schemas.js";
import { KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyBodyWithKeys, type SigningKey } from "../../core/signing.js";
import type { Metrics } from "../metrics.js";
import { PortError, type EventBus } from "../ports.js";
import { toMessages } from "./messages.js";
import { ReplayGuard } from "./replay-guard.js";

// POST /v1/ingest: signed batches of scored events from the edge's queue consumer. The answer is
// 202 only once the bus acknowledged every message (acks=all), so a 2xx means "durable"; any
// failure to publish is a 503 the edge retries. Refusals carry a stable code:
//   413 PAYLOAD_TOO_LARGE, 401 UNAUTHORIZED (reason: MISSING_SIGNATURE | MALFORMED_SIGNATURE |
//   STALE_TIMESTAMP | BAD_SIGNATURE), 409 REPLAYED, 400 INVALID_JSON | VALIDATION_FAILED (issues
//   name each field), 503 BUS_UNAVAILABLE (retriable), 500 PUBLISH_FAILED (not retriable).

export interface IngestOptions {
  secret: string;
  /**
   * The key ring (current key first, then earlier keys until their not-after); absent: `secret`
   * alone under the id "default". See aggregator/config.ts ingestKeys.
   */
  keys?: SigningKey[];
  maxSkewSeconds: number;
  maxBodyBytes: number;
}

export interface IngestDeps {
  bus: EventBus;
  metrics: Metrics;
  /** ms since the epoch; injectable so signature windows can be tested. */
  now: () => number;
  log: Logger;
  replayGuard?: ReplayGuard;
}

function refuse(c: Context, status: ContentfulStatusCode, code: string, message: string, extra: { reason?: string; issues?: FieldIssue[]; retriable?: boolean } = {}) {
  return c.json(errorBody(code, message, extra), status);
}

export function mountIngest(app: Hono, options: IngestOptions, deps: IngestDeps): void {
  const guard = deps.replayGuard ?? new ReplayGuard();
  const keys: SigningKey[] = options.keys ?? [{ id: "default", secret: options.secret }];
  const { metrics, log } = deps;

  app.post(
    "/v1/ingest",
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: (c) => {
        metrics.ingestRequest("too_large");
        return refuse(c, 413, "PAYLOAD_TOO_LARGE", `body larger than ${options.maxBodyBytes} bytes; send smaller batches`);
      },
    }),
    async (c) => {
      const body = await c.req.text();
      const nowMs = deps.now();
      const signature = c.req.header(SIGNATURE_HEADER);
      const verified = await verifyBodyWithKeys(keys, body, signature, c.req.header(TIMESTAMP_HEADER), c.req.header(KEY_ID_HEADER), Math.floor(nowMs / 1000), options.maxSkewSeconds);
      if (!verified.ok) {
        metrics.ingestRequest("unauthorized");
        log.warn("INGEST_UNAUTHORIZED", { reason: verified.reason });
        return refuse(c, 401, "UNAUTHORIZED", "signature refused", { reason: verified.reason });
      }
      // Replays are remembered per key: the same bytes signed under the old and the new key are two
      // signatures, each accepted once.
      const sig = `${verified.keyId}:${signature ?? ""}`;
      if (guard.reserve(sig, nowMs) === "replayed") {
        metrics.ingestRequest("replayed");
        log.warn("INGEST_REPLAYED", {});
        return refuse(c, 409, "REPLAYED", "this signed request was already accepted", { reason: "REPLAYED" });
      }
      let committed = false;
      try {
        let input: unknown;
        try {
          input = JSON.parse(body);
        } catch {
          metrics.ingestRequest("invalid");
          return refuse(c, 400, "INVALID_JSON", "body is not valid JSON", { issues: [{ path: "(body)", message: "not valid JSON" }] });
        }
        const parsed = parseWith(IngestBatchSchema, input);
        if (!parsed.ok) {
          metrics.ingestRequest("invalid");
          const message = parsed.issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`).join("; ");
          return refuse(c, 400, "VALIDATION_FAILED", message, { issues: parsed.issues.slice(0, 50) });
        }
        const records = parsed.value.records;
        const started = performance.now();
        try {
          await deps.bus.publish(toMessages(records, new Date(nowMs).toISOString()));
        } catch (e) {
          const retriable = !(e instanceof PortError) || e.retriable;
          metrics.ingestRequest("unavailable");
          log.error("INGEST_PUBLISH_FAILED", { records: records.length, retriable, error: e instanceof Error ? e.message : String(e) });
          if (retriable) {
            c.header("Retry-After", "1");
            return refuse(c, 503, "BUS_UNAVAILABLE", "the event bus did not acknowledge the batch; retry", { retriable: true });
          }
          return refuse(c, 500, "PUBLISH_FAILED", "the event bus refused the batch", { retriable: false });
        }
        metrics.ingestPublishSeconds((performance.now() - started) / 1000);
        metrics.ingestRequest("accepted");
        metrics.ingestRecords(records.length);
        guard.commit(sig, (verified.timestampSeconds + options.maxSkewSeconds) * 1000);
        committed = true;
        return c.json({ accepted: records.length }, 202);
      } finally {
        if (!committed) guard.release(sig);
      }
    },
  );
}
