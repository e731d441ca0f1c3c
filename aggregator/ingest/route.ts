import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../../core/contracts/logger.js";
import { IngestBatchSchema, parseWith, type ScoredEvent } from "../../core/schemas.js";
import { KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyBodyWithKeys, type SigningKey } from "../../core/signing.js";
import type { Metrics } from "../metrics.js";
import { PortError, TOPICS, type EventBus, type OutgoingMessage } from "../ports/index.js";
import { randomUUID } from "node:crypto";
import { INGEST_DEADLINE_MS_DEFAULT } from "../../core/contracts/deadlines.js";
import { withDeadline } from "../deadline.js";
import { problem } from "../http/respond.js";
import { idempotencyKeyOf } from "./idempotency-key.js";
import { envelope, type DeadLetter } from "../bus/envelope.js";
import { fingerprintsOf } from "./fingerprint.js";
import type { ClaimResult, IngestLedger, LedgerEntry } from "./ledger.js";
import { toMessages } from "./messages.js";
import { ReplayGuard, type ReplayStore } from "./replay-guard.js";

// POST /v1/ingest: signed batches of scored events from the edge's queue consumer. The answer is
// 202 only once the bus acknowledged every message (acks=all), so a 2xx means "durable"; any
// failure to publish is a 503 the edge retries. Refusals carry a stable code:
//   413 PAYLOAD_TOO_LARGE, 401 UNAUTHORIZED (reason: MISSING_SIGNATURE | MALFORMED_SIGNATURE |
//   STALE_TIMESTAMP | BAD_SIGNATURE), 409 REPLAYED, 400 INVALID_JSON | VALIDATION_FAILED (issues
//   name each field), 503 BUS_UNAVAILABLE (retriable), 500 PUBLISH_FAILED (not retriable),
//   503 IN_FLIGHT (another request is publishing some of these events; retry), 503
//   INGEST_DEADLINE (no answer within INGEST_DEADLINE_MS; the edge waits longer than that,
//   core/contracts/deadlines.ts), 503 LEDGER_UNAVAILABLE (the shared replay/idempotency store).
// With a ledger (aggregator/ingest/ledger.ts), events already published (same idempotency key,
// whatever the signature) are acknowledged without being published again: 202 names them as
// `duplicates`. An event under a key already taken by ANOTHER payload (a caller reusing a transaction
// id on another card, which the edge's per-card check cannot see) is not a duplicate: it goes to
// fraud-dead-letter as IDEMPOTENCY_CONFLICT, once, and the 202 counts it in `conflicts`.

export interface IngestOptions {
  secret: string;
  /**
   * The key ring (current key first, then earlier keys until their not-after); absent: `secret`
   * alone under the id "default". See aggregator/config.ts ingestKeys.
   */
  keys?: SigningKey[];
  maxSkewSeconds: number;
  maxBodyBytes: number;
  /** Every request is answered within this (default core/contracts/deadlines.ts). */
  deadlineMs?: number;
  /** How long an idempotency claim is held by a request that may have died (default 60 s). */
  claimLeaseMs?: number;
}

export interface IngestDeps {
  bus: EventBus;
  metrics: Metrics;
  /** ms since the epoch; injectable so signature windows can be tested. */
  now: () => number;
  log: Logger;
  replayGuard?: ReplayStore;
  /** Shared idempotency ledger; without it every accepted record is published. */
  ledger?: IngestLedger;
}

export function mountIngest(app: Hono, options: IngestOptions, deps: IngestDeps): void {
  const guard: ReplayStore = deps.replayGuard ?? new ReplayGuard();
  const keys: SigningKey[] = options.keys ?? [{ id: "default", secret: options.secret }];
  const { metrics, log, ledger } = deps;
  const deadlineMs = options.deadlineMs ?? INGEST_DEADLINE_MS_DEFAULT;
  const leaseMs = options.claimLeaseMs ?? 60_000;

  app.post(
    "/v1/ingest",
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: (c) => {
        metrics.ingestRequest("too_large");
        return problem(413, "PAYLOAD_TOO_LARGE", `body larger than ${options.maxBodyBytes} bytes; send smaller batches`);
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
        return problem(401, "UNAUTHORIZED", "signature refused", { reason: verified.reason });
      }
      // Replays are remembered per key: the same bytes signed under the old and the new key are two
      // signatures, each accepted once.
      const sig = `${verified.keyId}:${signature ?? ""}`;
      const startedAt = performance.now();
      const left = () => Math.max(1, deadlineMs - (performance.now() - startedAt));
      const unavailable = (code: string, message: string, e?: unknown) => {
        metrics.ingestRequest("unavailable");
        log.error(`INGEST_${code}`, { error: e instanceof Error ? e.message : e === undefined ? undefined : String(e) });
        return problem(503, code, message, { retriable: true, headers: { "Retry-After": "1" } });
      };
      let fresh;
      try {
        fresh = await withDeadline(Promise.resolve(guard.reserve(sig, nowMs)), left(), "replay check");
      } catch (e) {
        return unavailable("LEDGER_UNAVAILABLE", "the replay guard's store did not answer; retry", e);
      }
      if (fresh === "replayed") {
        metrics.ingestRequest("replayed");
        log.warn("INGEST_REPLAYED", {});
        return problem(409, "REPLAYED", "this signed request was already accepted", { reason: "REPLAYED" });
      }
      let committed = false;
      try {
        let input: unknown;
        try {
          input = JSON.parse(body);
        } catch {
          metrics.ingestRequest("invalid");
          return problem(400, "INVALID_JSON", "body is not valid JSON", { issues: [{ path: "(body)", message: "not valid JSON" }] });
        }
        const parsed = parseWith(IngestBatchSchema, input);
        if (!parsed.ok) {
          metrics.ingestRequest("invalid");
          const message = parsed.issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`).join("; ");
          return problem(400, "VALIDATION_FAILED", message, { issues: parsed.issues.slice(0, 50) });
        }
        const records = parsed.value.records;
        // One copy per key even inside a batch; another payload under a key already seen is a conflict.
        const byKey = new Map<string, Keyed>();
        const conflicting = new Map<string, Keyed>(); // one per (key, payload)
        // Carried by the edge; computed only for envelopes without one.
        const fingerprints = fingerprintsOf(records);
        for (const [i, record] of records.entries()) {
          const k: Keyed = { record, key: idempotencyKeyOf(record), fingerprint: fingerprints[i] as string };
          const first = byKey.get(k.key);
          if (!first) byKey.set(k.key, k);
          else if (first.fingerprint !== k.fingerprint) conflicting.set(conflictEntry(k).key, k);
        }
        let toPublish = [...byKey.values()];
        let toDeadLetter = [...conflicting.values()];
        let conflicts = toDeadLetter.length;
        const owner = randomUUID();
        let mine: string[] = [];
        if (ledger) {
          let claim: ClaimResult | undefined;
          try {
            claim = await withDeadline(ledger.claim(toPublish, owner, leaseMs), left(), "idempotency claim");
            // A key taken by another payload: that payload is not this one's duplicate. It is
            // dead-lettered once, under a key of its own (a retry of it is then a duplicate).
            const lost = new Set(claim.conflicts);
            toDeadLetter = [...toDeadLetter, ...toPublish.filter((k) => lost.has(k.key))];
            conflicts = toDeadLetter.length;
            if (toDeadLetter.length > 0) {
              const again = await withDeadline(ledger.claim(toDeadLetter.map(conflictEntry), owner, leaseMs), left(), "idempotency claim");
              claim = { ...claim, mine: [...claim.mine, ...again.mine], inFlight: [...claim.inFlight, ...again.inFlight, ...again.conflicts] };
              const fresh = new Set(again.mine);
              toDeadLetter = toDeadLetter.filter((k) => fresh.has(conflictEntry(k).key));
            }
          } catch (e) {
            if (claim) await ledger.release(claim.mine, owner).catch(() => undefined);
            return unavailable("LEDGER_UNAVAILABLE", "the idempotency ledger did not answer; retry", e);
          }
          mine = claim.mine;
          if (claim.inFlight.length > 0) {
            await ledger.release(mine, owner).catch(() => undefined);
            metrics.ingestRequest("unavailable");
            log.warn("INGEST_IN_FLIGHT", { records: records.length, inFlight: claim.inFlight.length });
            return problem(503, "IN_FLIGHT", `${claim.inFlight.length} of these events are being published by another request; retry`, { retriable: true, headers: { "Retry-After": "2" } });
          }
          const claimed = new Set(mine);
          toPublish = toPublish.filter((k) => claimed.has(k.key));
        }
        const duplicates = records.length - toPublish.length - conflicts;
        const producedAt = new Date(nowMs).toISOString();
        const started = performance.now();
        // The publish outlives a missed deadline: its outcome still settles the ledger, so a retry
        // finds the events published (acknowledged) or released (published by the retry).
        const publishing = deps.bus.publish([...toMessages(toPublish.map((k) => k.record), producedAt), ...conflictLetters(toDeadLetter, producedAt)]);
        if (ledger && mine.length > 0) {
          publishing.then(
            () => ledger.markPublished(mine, owner),
            () => ledger.release(mine, owner),
          ).catch((e: unknown) => log.warn("INGEST_LEDGER_UPDATE_FAILED", { error: e instanceof Error ? e.message : String(e) }));
        }
        try {
          await withDeadline(publishing, left(), "publish");
        } catch (e) {
          const retriable = !(e instanceof PortError) || e.retriable;
          metrics.ingestRequest("unavailable");
          log.error("INGEST_PUBLISH_FAILED", { records: records.length, retriable, error: e instanceof Error ? e.message : String(e) });
          if (retriable) {
            const late = e instanceof Error && e.name === "DeadlineExceededError";
            const retryAfter = { retriable: true, headers: { "Retry-After": "1" } };
            return late
              ? problem(503, "INGEST_DEADLINE", `the event bus did not acknowledge the batch within ${deadlineMs} ms; retry`, retryAfter)
              : problem(503, "BUS_UNAVAILABLE", "the event bus did not acknowledge the batch; retry", retryAfter);
          }
          return problem(500, "PUBLISH_FAILED", "the event bus refused the batch", { retriable: false });
        }
        metrics.ingestPublishSeconds((performance.now() - started) / 1000);
        metrics.ingestRequest("accepted");
        metrics.ingestRecords(toPublish.length);
        if (duplicates > 0) log.info("INGEST_DUPLICATES", { records: records.length, duplicates });
        if (toDeadLetter.length > 0) {
          for (let i = 0; i < toDeadLetter.length; i++) metrics.sinkDeadLetter("ingest", "IDEMPOTENCY_CONFLICT");
          log.warn("INGEST_IDEMPOTENCY_CONFLICT", { records: records.length, dead_lettered: toDeadLetter.length, keys: toDeadLetter.slice(0, 10).map((k) => k.key).join(",") });
        }
        await Promise.resolve(guard.commit(sig, (verified.timestampSeconds + options.maxSkewSeconds) * 1000)).catch((e: unknown) =>
          log.warn("INGEST_REPLAY_COMMIT_FAILED", { error: e instanceof Error ? e.message : String(e) }),
        );
        committed = true;
        return c.json({ accepted: records.length, duplicates, conflicts }, 202);
      } finally {
        if (!committed) await Promise.resolve(guard.release(sig)).catch(() => undefined);
      }
    },
  );
}

/** A record with its idempotency key and payload fingerprint, each computed once per request. */
interface Keyed extends LedgerEntry {
  record: ScoredEvent;
}

/** The ledger entry that makes a conflicting payload's dead letter happen once: keyed by key and payload. */
function conflictEntry(k: LedgerEntry): LedgerEntry {
  return { key: `conflict:${k.fingerprint}:${k.key}`, fingerprint: k.fingerprint };
}

/** fraud-dead-letter messages for events refused as idempotency conflicts, keyed by card like every message of it. */
function conflictLetters(items: Keyed[], at: string): OutgoingMessage[] {
  return items.map(({ record, key: idempotencyKey, fingerprint }) => {
    const key = record.event.card_number_hash;
    const letter: DeadLetter = {
      error: `IDEMPOTENCY_CONFLICT: idempotency key ${idempotencyKey.slice(0, 300)} was already taken by another payload (this one's fingerprint ${fingerprint})`,
      group_id: "ingest",
      failed_at: at,
      original: { topic: "ingest", partition: -1, offset: "-1", key, value: record },
    };
    return { topic: TOPICS.deadLetter, key, value: envelope("vigil.dead-letter", letter, at) };
  });
}
