import { createExecutionContext, listDurableObjectIds, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import type { ScoredEvent } from "../../core/schemas.js";
import { freshCardHash } from "../../core/testing/card-hash.js";
import worker, { type Env } from "../workers/entry.js";
import { TEST_TOKENS } from "./tokens.js";

// Helpers for Workers-runtime tests: call the real worker entry with the test env, wait for its
// waitUntil work, and observe what reached the Durable Object namespace and the queue.

export const testEnv = env as unknown as Env;
export const ONLINE = TEST_TOKENS["gw-online"].token;
export const STORE = TEST_TOKENS["gw-store"].token;
export const BASE = "https://edge.test";

/** A unique card hash per call, so tests never share a Durable Object. */
export function cardHash(): string {
  return freshCardHash();
}

let seq = 0;
export function txn(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    // A letter before each numeric part: separators join digit groups for the PAN guard, and
    // "<time>-<seq>-<hex>" could otherwise line up 13+ digits that pass Luhn (a rare 400).
    transaction_id: `TXN-${Date.now().toString(36)}-n${seq}-u${crypto.randomUUID().slice(0, 8)}`,
    card_number_hash: cardHash(),
    merchant_id: "MCH-0022",
    merchant_category_code: "5411",
    amount_usd: 42.5,
    currency: "USD",
    timestamp_utc: new Date().toISOString(),
    transaction_type: "PURCHASE",
    channel: "ONLINE",
    geolocation: { lat: 40.71, lon: -74.0 },
    ...overrides,
  };
}

export interface CallInit {
  method?: string;
  token?: string | null;
  body?: unknown;
  raw?: BodyInit;
  headers?: Record<string, string>;
}

/** Calls the worker's fetch directly (same env object, so spies on bindings see the calls). */
export async function call(path: string, init: CallInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("authorization", `Bearer ${init.token ?? ONLINE}`);
  if (!headers.has("content-type") && (init.body !== undefined || init.raw !== undefined)) {
    headers.set("content-type", "application/json");
  }
  const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const req = new Request(`${BASE}${path}`, { method: init.method ?? (body === undefined ? "GET" : "POST"), headers, body });
  const ctx = createExecutionContext();
  const res = await worker.fetch(req as Request<unknown, IncomingRequestCfProperties>, testEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export const score = (body: unknown, init: CallInit = {}) => call("/v1/transactions/score", { ...init, body });
export const scoreBatch = (transactions: unknown[], init: CallInit = {}) =>
  call("/v1/transactions/score/batch", { ...init, body: { transactions } });

/** Records every sendBatch on the scored-events queue (and still sends, so the consumer path is real). */
export function spyQueue(): { records: () => ScoredEvent[]; calls: () => number; restore: () => void } {
  const spy = vi.spyOn(testEnv.SCORED_EVENTS, "sendBatch");
  const sendSpy = vi.spyOn(testEnv.SCORED_EVENTS, "send");
  return {
    records: () => spy.mock.calls.flatMap(([msgs]) => [...msgs].map((m) => m.body)),
    calls: () => spy.mock.calls.length + sendSpy.mock.calls.length,
    restore: () => {
      spy.mockRestore();
      sendSpy.mockRestore();
    },
  };
}

export async function objectIds(): Promise<Set<string>> {
  return new Set((await listDurableObjectIds(testEnv.CARD_STATE)).map((id) => id.toString()));
}

export function stubFor(card: string) {
  return testEnv.CARD_STATE.get(testEnv.CARD_STATE.idFromName(card));
}

export interface ErrorJson {
  error: { code: string; message: string; request_id: string; retriable: boolean; issues?: Array<{ path: string; message: string }> };
}
