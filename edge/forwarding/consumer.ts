import { ScoredEventSchema, type ScoredEvent } from "../../core/schemas.js";
import { signBody } from "../../core/signing.js";
import type { Logger } from "../../core/contracts/logger.js";
import { consoleLogger } from "../console-logger.js";
import { backoffSeconds, loadForwardConfig, type ForwardConfig } from "./config.js";
import { classifyIngestAnswer, type Outcome } from "./outcome.js";
import { splitByZone } from "../residency.js";

// Queue consumer: posts scored events to the aggregator as one signed batch per delivery.
//   2xx                          → ack
//   5xx, 408, 429, network, timeout, 401/403/404 (config: secret, clock, URL) → retry with backoff
//   other 4xx (validation)       → dead-letter at once, ack
//   invalid message body         → dead-letter at once, ack
//   last attempt (FORWARD_MAX_ATTEMPTS) failed → dead-letter, ack
// Dead-lettering is done here (DLQ producer binding), so it does not depend on the platform's own
// dead_letter_queue setting; if the DLQ send fails, the message is retried instead of acked.
// Residency: EU-home cards' events (edge/residency.ts) are posted to AGGREGATOR_URL_EU when it is
// set, the rest to AGGREGATOR_URL; each target is one signed batch, classified on its own. The
// envelope (ScoredEvent, its `region` = the region that scored it) is the same for both.

export const DLQ_QUEUE = "vigil-scored-events-dlq";
/** IngestBatchSchema caps a batch at 1000 records; queue deliveries are smaller, but never rely on it. */
const MAX_INGEST_RECORDS = 1000;

export interface DeadLetter {
  /** The message body as received (a ScoredEvent unless the reason is INVALID_RECORD). */
  record: unknown;
  reason: "INVALID_RECORD" | "REJECTED_BY_AGGREGATOR" | "MAX_ATTEMPTS";
  /** Last failure: HTTP status or a network/timeout code, and a bounded detail. */
  error: { code: string; status?: number; detail: string };
  message_id: string;
  attempts: number;
  queue: string;
  first_enqueued_at: string;
  dead_lettered_at: string;
}

export interface ForwardEnv {
  /** "local" allows plain-http aggregators and example secrets (edge/production-settings.ts). */
  VIGIL_ENV?: string;
  AGGREGATOR_URL?: string;
  AGGREGATOR_SECRET?: string;
  AGGREGATOR_URL_EU?: string;
  AGGREGATOR_SECRET_EU?: string;
  AGGREGATOR_KEY_ID?: string;
  AGGREGATOR_KEY_ID_EU?: string;
  EU_CARD_BINS?: string;
  FORWARD_MAX_ATTEMPTS?: string | number;
  FORWARD_TIMEOUT_MS?: string | number;
  AGGREGATOR_INGEST_DEADLINE_MS?: string | number;
  FORWARD_BACKOFF_BASE_SECONDS?: string | number;
  FORWARD_BACKOFF_MAX_SECONDS?: string | number;
  DLQ?: Queue<DeadLetter>;
}

export interface ForwardDeps {
  fetch?: typeof fetch;
  /** Wall clock, ms (signature timestamp, dead-letter times). */
  now?: () => number;
  /** [0,1) for backoff jitter. */
  random?: () => number;
  log?: Logger;
  /** Already-parsed config (else parsed from env on each batch: cheap, and picks up redeploys). */
  config?: ForwardConfig;
}

export interface BatchSummary {
  acked: number;
  retried: number;
  deadLettered: number;
  status?: number;
}

type Msg = Message<unknown>;

interface Target {
  url: string;
  secret: string;
  /** Sent as x-vigil-key-id so the aggregator can hold old and new keys during a rotation. */
  keyId?: string | undefined;
}

async function post(cfg: ForwardConfig, target: Target, records: ScoredEvent[], deps: Required<Pick<ForwardDeps, "fetch" | "now">>): Promise<Outcome> {
  const body = JSON.stringify({ records } satisfies { records: ScoredEvent[] });
  const headers = await signBody(target.secret, body, Math.floor(deps.now() / 1000), target.keyId);
  try {
    const res = await deps.fetch(`${target.url}/v1/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      signal: AbortSignal.timeout(cfg.FORWARD_TIMEOUT_MS),
    });
    return await classifyIngestAnswer(res);
  } catch (err) {
    const timeout = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return {
      kind: "retry",
      code: timeout ? "FORWARD_TIMEOUT" : "FORWARD_NETWORK_ERROR",
      detail: err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 200) : "unknown error",
    };
  }
}

export async function handleScoredEventBatch(
  batch: MessageBatch<unknown>,
  env: ForwardEnv,
  deps: ForwardDeps = {},
): Promise<BatchSummary> {
  const log = deps.log ?? consoleLogger({ component: "forwarder" });
  const now = deps.now ?? (() => Date.now());
  const random = deps.random ?? Math.random;
  // Unbound, the runtime's fetch throws "Illegal invocation" when called as a property of deps.
  const doFetch: typeof fetch = deps.fetch ?? ((input, init) => fetch(input, init));
  const summary: BatchSummary = { acked: 0, retried: 0, deadLettered: 0 };
  let cfg: ForwardConfig;
  try {
    cfg = deps.config ?? loadForwardConfig(env as Record<string, unknown>);
  } catch (err) {
    // Nothing can be posted; keep every message for after the fix (the platform DLQ catches the rest).
    log.error("FORWARD_CONFIG_INVALID", { error: err instanceof Error ? err.message : "invalid", messages: batch.messages.length });
    batch.retryAll({ delaySeconds: 300 });
    return { ...summary, retried: batch.messages.length };
  }

  const deadLetter = async (m: Msg, reason: DeadLetter["reason"], error: DeadLetter["error"]): Promise<void> => {
    const letter: DeadLetter = {
      record: m.body,
      reason,
      error,
      message_id: m.id,
      attempts: m.attempts,
      queue: batch.queue,
      first_enqueued_at: m.timestamp.toISOString(),
      dead_lettered_at: new Date(now()).toISOString(),
    };
    try {
      if (!env.DLQ) throw new Error("no DLQ binding");
      await env.DLQ.send(letter, { contentType: "json" });
      m.ack();
      summary.deadLettered++;
      log.error("FORWARD_DEAD_LETTERED", { message_id: m.id, reason, code: error.code, status: error.status, attempts: m.attempts });
    } catch (err) {
      m.retry({ delaySeconds: cfg.FORWARD_BACKOFF_MAX_SECONDS });
      summary.retried++;
      log.error("FORWARD_DLQ_FAILED", { message_id: m.id, reason, error: err instanceof Error ? err.message.slice(0, 200) : "unknown" });
    }
  };

  const valid: { m: Msg; record: ScoredEvent }[] = [];
  for (const m of batch.messages) {
    const r = ScoredEventSchema.safeParse(m.body);
    if (r.success) valid.push({ m, record: r.data });
    else {
      const detail = r.error.issues.slice(0, 3).map((i) => `${i.path.map(String).join(".")}: ${i.message}`).join("; ");
      await deadLetter(m, "INVALID_RECORD", { code: "INVALID_RECORD", detail });
    }
  }
  if (valid.length === 0) return summary;

  const central: Target = { url: cfg.AGGREGATOR_URL, secret: cfg.AGGREGATOR_SECRET, keyId: cfg.AGGREGATOR_KEY_ID };
  const euTarget: Target | undefined = cfg.AGGREGATOR_URL_EU
    ? cfg.AGGREGATOR_SECRET_EU
      ? { url: cfg.AGGREGATOR_URL_EU, secret: cfg.AGGREGATOR_SECRET_EU, keyId: cfg.AGGREGATOR_KEY_ID_EU }
      : { url: cfg.AGGREGATOR_URL_EU, secret: cfg.AGGREGATOR_SECRET, keyId: cfg.AGGREGATOR_KEY_ID }
    : undefined;
  const parts: { target: Target; zone: string; items: typeof valid }[] = [];
  if (euTarget) {
    // The zone the route decided travels in the envelope; older envelopes have it computed.
    const byZone = splitByZone(valid.map((v) => ({ ...v, event: v.record.event, zone: v.record.zone })), { euBins: cfg.EU_CARD_BINS });
    if (byZone.default.length > 0) parts.push({ target: central, zone: "default", items: byZone.default });
    if (byZone.eu.length > 0) parts.push({ target: euTarget, zone: "eu", items: byZone.eu });
  } else {
    parts.push({ target: central, zone: "default", items: valid });
  }
  // Acks are per message unless the whole batch went through in one post.
  let allAcked = valid.length === batch.messages.length && parts.length === 1;
  let allOk = true;
  const max = MAX_INGEST_RECORDS;
  for (const { target, zone, items } of parts) {
    for (let i = 0; i < items.length; i += max) {
      const part = items.slice(i, i + max);
      const outcome = await post(cfg, target, part.map((p) => p.record), { fetch: doFetch, now });
      if (outcome.status !== undefined) summary.status = outcome.status;
      if (outcome.kind === "ok") {
        if (!allAcked) for (const p of part) p.m.ack();
        summary.acked += part.length;
        log.info("FORWARD_OK", { records: part.length, status: outcome.status, ...(euTarget ? { zone } : {}) });
        continue;
      }
      allOk = false;
      if (allAcked) {
        // Earlier parts of this batch were counted as acked by the final ackAll: ack them now instead.
        for (const done of items.slice(0, i)) done.m.ack();
        allAcked = false;
      }
      const error = { code: outcome.code, detail: outcome.detail, ...(outcome.status !== undefined ? { status: outcome.status } : {}) };
      if (outcome.kind === "reject") {
        log.error("FORWARD_REJECTED", { records: part.length, status: outcome.status, detail: outcome.detail });
        for (const p of part) await deadLetter(p.m, "REJECTED_BY_AGGREGATOR", error);
        continue;
      }
      const level = outcome.code === "FORWARD_AUTH_REJECTED" || outcome.code === "FORWARD_NOT_FOUND" ? "error" : "warn";
      log[level](outcome.code, { records: part.length, status: outcome.status, detail: outcome.detail });
      for (const p of part) {
        if (p.m.attempts >= cfg.FORWARD_MAX_ATTEMPTS) {
          await deadLetter(p.m, "MAX_ATTEMPTS", error);
        } else {
          const backoff = backoffSeconds(p.m.attempts, cfg.FORWARD_BACKOFF_BASE_SECONDS, cfg.FORWARD_BACKOFF_MAX_SECONDS, random());
          const delaySeconds = Math.min(cfg.FORWARD_BACKOFF_MAX_SECONDS, Math.max(backoff, outcome.retryAfterSeconds ?? 0));
          p.m.retry({ delaySeconds });
          summary.retried++;
        }
      }
    }
  }
  allAcked = allAcked && allOk;
  // Whole batch delivered in one go: one ackAll instead of per-message acks.
  if (allAcked) batch.ackAll();
  return summary;
}
