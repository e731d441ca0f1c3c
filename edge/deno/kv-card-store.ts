import { CardWindow, decodeCardState, encodeCardState, type Engine } from "../../core/index.js";
import type { ScoreItem, ScoreOutcome } from "../../core/contracts/scoring.js";
import type { Decision, FeatureVector } from "../../core/schemas.js";
import type { CardStateStore, Logger } from "../ports.js";
import { IDLE_TTL_MS, keyOf, SEEN_RETENTION_MS, scoreCardItems } from "../../core/kernel/card-items.js";
import { defaultForwardContext, scoredEnvelope } from "../../core/kernel/envelope.js";
import { resolveEngines, scoringConfigFor, type EngineEnv } from "../../core/kernel/engines.js";
import { createEngineRegistry, type EngineRegistry } from "../../core/kernel/registry.js";
import { chunkForKv, kvMessage } from "./kv-queue.js";

// The Deno CardStateStore: a card's window state in Deno KV, scored with the same engines as the
// CardState Durable Object. Each read-score-write is one atomic check-and-set on the card key's
// versionstamp, retried with jitter on conflict, so concurrent writers (other isolates/processes
// on the same KV) cannot lose an update. The same commit enqueues the new events' envelopes on the
// KV queue (Deno KV's atomic enqueue), so state and forwarding are one commit: the outbox. Inside one process the calls for one card are also
// queued behind each other, as the Durable Object does: otherwise N parallel requests for a hot
// card would all read the same versionstamp and N-1 of them would retry each round.
//
// Keys:
//   ["card", cardHash]                 encodeCardState string (≤ ~15 KiB measured at full windows;
//                                      a state over the 64 KiB value limit throws, not truncates)
//   ["card", cardHash, "seen", key]    {d: decision, f: features, e: event ms, p: fingerprint} (~2.5 KiB),
//                                      key = idempotency key (edge/idempotency.ts): one key
//                                      per transaction, so the idempotency memory is not bounded by
//                                      the 64 KiB value limit; bounded in time instead (below).
// Expiry (Deno KV TTL): the card key expires IDLE_TTL_MS (90 days) after its last event (rewritten
// with a fresh expireIn on every event); seen keys expire SEEN_RETENTION_MS (35 days) after they were
// written, so an idle card's keys are all gone within 90 days, as on Workers. Unlike the Durable
// Object there is no 2000-per-card count cap on seen keys: the TTL bounds them.

/** Deno KV limits: 1000 mutations and 800 KiB per atomic commit, 10 keys per getMany. */
export const MAX_ITEMS_PER_COMMIT = 100;
const MAX_VALUE_BYTES = 65_536;
const GET_MANY = 10;

export const cardKey = (cardHash: string): Deno.KvKey => ["card", cardHash];
export const seenKey = (cardHash: string, txId: string): Deno.KvKey => ["card", cardHash, "seen", txId];

interface SeenRecord {
  d: Decision;
  f: FeatureVector;
  e: number;
  /** The payload's fingerprint ('' or absent: unknown, written before fingerprints). */
  p?: string;
}

/** Every attempt lost the check-and-set to another writer: the app answers 503, retriable. */
export class CardStateConflictError extends Error {
  readonly code = "CARD_STATE_CONFLICT";
  readonly retriable = true;
  constructor(readonly cardHash: string, readonly attempts: number) {
    super(`card state for ${cardHash} changed under ${attempts} attempts; retry the request`);
    this.name = "CardStateConflictError";
  }
}

export interface KvCardStoreOptions {
  kv: Deno.Kv;
  /** Engine settings (REFERENCE_FAILURE_POLICY), as the Durable Object reads them from its env. */
  env: EngineEnv;
  /**
   * Engines for the versions the route names; edge.ts builds it over the route's own reference
   * source, so rule sets and models come through the one source the route reads. Default: the
   * bundled engine only (versions it cannot load fall back, with a reason).
   */
  registry?: EngineRegistry | undefined;
  log: Logger;
  /** Check-and-set attempts per slice before CardStateConflictError (default 8). */
  maxAttempts?: number;
  /** [0,1) for retry jitter. */
  random?: () => number;
  /** Queue calls for one card inside this process (default true); false leaves it all to the check-and-set. */
  serializeLocally?: boolean;
  /** The region stamped on envelopes of items that carry no forward context (default "unknown"). */
  region?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createKvCardStore(o: KvCardStoreOptions): CardStateStore {
  const maxAttempts = o.maxAttempts ?? 8;
  const random = o.random ?? Math.random;
  const tails = new Map<string, Promise<unknown>>();
  const registry = o.registry ?? createEngineRegistry(undefined, { config: scoringConfigFor(o.env), clock: () => Date.now(), log: o.log });

  /** Runs fn after every earlier call for the same card has settled. */
  const exclusive = <T>(card: string, fn: () => Promise<T>): Promise<T> => {
    if (o.serializeLocally === false) return fn();
    const prev = tails.get(card) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(() => undefined, () => undefined);
    tails.set(card, tail);
    void tail.then(() => {
      if (tails.get(card) === tail) tails.delete(card);
    });
    return run;
  };

  /** One check-and-set attempt for a slice; undefined when another writer got there first. */
  const attempt = async (card: string, items: ScoreItem[], engines: Engine[]): Promise<ScoreOutcome[] | undefined> => {
    const entry = await o.kv.get<string>(cardKey(card));
    const window = entry.value === null ? CardWindow.empty() : decodeCardState(entry.value);
    const keys = [...new Set(items.map(keyOf))];
    const seen = new Map<string, SeenRecord>();
    for (let k = 0; k < keys.length; k += GET_MANY) {
      const got = await o.kv.getMany<SeenRecord[]>(keys.slice(k, k + GET_MANY).map((key) => seenKey(card, key)));
      for (const g of got) if (g.value !== null) seen.set(String(g.key[3]), g.value);
    }
    const fresh: [string, SeenRecord][] = [];
    const { outcomes, refused } = scoreCardItems(items, engines, window, {
      prior: (key) => {
        const p = seen.get(key);
        return p ? { decision: p.d, features: p.f, fingerprint: p.p } : undefined;
      },
      record: (key, decision, features, eventMs, fingerprint) => {
        const rec: SeenRecord = { d: decision, f: features, e: eventMs, p: fingerprint };
        seen.set(key, rec);
        fresh.push([key, rec]);
      },
    });
    // Only duplicates, or refused (a key reused with another payload): nothing to write (and
    // nothing changed: seen records are written once and never updated).
    if (refused || fresh.length === 0) return outcomes;
    const state = encodeCardState(window);
    if (state.length > MAX_VALUE_BYTES) throw new Error(`card state is ${state.length} bytes, over the KV value limit`);
    const op = o.kv.atomic().check({ key: cardKey(card), versionstamp: entry.versionstamp });
    op.set(cardKey(card), state, { expireIn: IDLE_TTL_MS });
    for (const [key, rec] of fresh) op.set(seenKey(card, key), rec, { expireIn: SEEN_RETENTION_MS });
    // The outbox on Deno: the envelopes are enqueued IN this commit, so the state and its events
    // are committed together or not at all (a scored event can never be left unsent).
    const now = Date.now();
    const records = outcomes.flatMap((out, i) => {
      if (out.duplicate) return [];
      const item = items[i] as ScoreItem;
      return [scoredEnvelope(item, out, item.forward ?? defaultForwardContext(o.region ?? "unknown", now), now)];
    });
    const at = new Date(now).toISOString();
    for (const chunk of chunkForKv(records, (r) => (r as { event: { transaction_id: string } }).event.transaction_id)) {
      const { msg, options } = kvMessage(chunk, 1, at, 0);
      op.enqueue(msg, options);
    }
    const res = await op.commit();
    return res.ok ? outcomes : undefined;
  };

  const scoreSlice = async (card: string, items: ScoreItem[], engines: Engine[]): Promise<ScoreOutcome[]> => {
    for (let n = 1; n <= maxAttempts; n++) {
      const done = await attempt(card, items, engines);
      if (done) return done;
      if (n < maxAttempts) {
        // Full jitter on a doubling ceiling (5 ms … 320 ms): racing writers spread out.
        await sleep(random() * Math.min(320, 5 * 2 ** (n - 1)));
      }
    }
    o.log.warn("CARD_STATE_CONFLICT", { card_hash: card, attempts: maxAttempts, items: items.length });
    throw new CardStateConflictError(card, maxAttempts);
  };

  return {
    async scoreCard(cardHash, items) {
      // Engines first (may await the registry); the state is read afterwards, inside each attempt.
      const engines = await resolveEngines(items, registry);
      return exclusive(cardHash, async () => {
        const out: ScoreOutcome[] = [];
        // Each slice is one atomic commit (KV's per-commit limits); a batch with more than
        // MAX_ITEMS_PER_COMMIT events for one card is applied slice by slice, in order.
        for (let k = 0; k < items.length; k += MAX_ITEMS_PER_COMMIT) {
          out.push(...(await scoreSlice(cardHash, items.slice(k, k + MAX_ITEMS_PER_COMMIT), engines.slice(k, k + MAX_ITEMS_PER_COMMIT))));
        }
        return out;
      });
    },
  };
}
