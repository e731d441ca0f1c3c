import type { CardScorer } from "../core/contracts/scoring.js";
import type { ReferenceSignals, TransactionEvent } from "../core/schemas.js";
import type { EdgeConfig } from "./config.js";
import type { LogFields, Logger } from "../core/contracts/logger.js";
import type { DeadLetterStore, Forwarder } from "../core/contracts/forwarding.js";

// The edge app's ports. `createApp(deps)` (edge/app.ts) only talks to these, so the same Hono app
// runs on Workers (Durable Object + Queue + Upstash) and on Deno (Deno KV + KV queue + Upstash).

/** The card-state port by its storage-side name: the Deno KV store (edge/deno/) implements it too. */
export type CardStateStore = CardScorer;

/** Reference data (block lists, risk values, active versions). Never throws: on failure returns status "UNAVAILABLE" signals. */
export interface ReferenceData {
  /** `ctx.waitUntil` lets a background refresh outlive the request (stale-while-revalidate). */
  lookup(event: TransactionEvent, ctx?: { waitUntil?(p: Promise<unknown>): void }): Promise<ReferenceLookup>;
}

export interface ReferenceLookup {
  signals: ReferenceSignals;
  rulesVersion?: string;
  modelVersion?: string;
  shadowModelVersion?: string;
  shadowRulesVersion?: string;
}

export type { Forwarder, LogFields, Logger };

/** The parked dead letters and the queue a redrive sends them back to (ops routes; absent: 404). */
export interface DeadLetterOps {
  store: DeadLetterStore;
  queue: Forwarder;
}

export interface EdgeDeps {
  /** Parsed once by `loadEdgeConfig` (edge/config.ts); a bad setting is answered 500 CONFIG_INVALID by the adapter. */
  config: EdgeConfig;
  scorer: CardScorer;
  reference: ReferenceData;
  /** Dead-letter inspection and redrive (/v1/ops/dead-letters); Workers wire the region's box. */
  deadLetters?: DeadLetterOps;
  /** Wall clock in ms (receipt time, latency); scoring itself runs on event time. */
  now(): number;
  /** Keeps background work (reference refreshes) alive after the response. */
  waitUntil(p: Promise<unknown>): void;
  log: Logger;
}
