import type { ScoredEvent, VerdictResponse } from "../../core/schemas.js";
import { CONFORMANCE_TOKENS, type RunningEdge } from "./runtimes.js";

// HTTP helpers of the conformance suite: the same requests go to every runtime.

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ErrorJson {
  error: { code: string; message: string; request_id: string; retriable: boolean; issues?: { path: string; message: string }[] };
}

export interface RequestInit2 {
  token?: string | null;
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  method?: string;
}

export async function call<T = unknown>(edge: RunningEdge, path: string, body?: unknown, init: RequestInit2 = {}): Promise<Answer<T>> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("authorization", `Bearer ${init.token ?? CONFORMANCE_TOKENS.all}`);
  const payload = init.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  // Headers given are sent as given (a case may leave Content-Type out on purpose); else JSON.
  if (payload !== undefined && init.headers === undefined) headers.set("content-type", "application/json");
  const res = await fetch(`${edge.url}${path}`, { method: init.method ?? (payload === undefined ? "GET" : "POST"), headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export const score = (edge: RunningEdge, body: unknown, init?: RequestInit2) => call<VerdictResponse>(edge, "/v1/transactions/score", body, init);
export const scoreBatch = (edge: RunningEdge, transactions: unknown[], init?: RequestInit2) =>
  call<{ results: VerdictResponse[] }>(edge, "/v1/transactions/score/batch", { transactions }, init);

/** What a verdict must be identical in across runtimes (latency_ms is wall time and differs). */
export function comparable(v: VerdictResponse) {
  return {
    transaction_id: v.transaction_id,
    verdict: v.verdict,
    fraud_score: v.fraud_score,
    confidence: v.confidence,
    rule_triggers: v.rule_triggers,
    ml_score: v.ml_score,
    reasons: v.reasons,
    model_version: v.model_version,
    rules_version: v.rules_version,
  };
}

/** Polls the receiver namespace until every id arrived (at-least-once: duplicates are fine). */
export async function waitForForwarded(receiverNsUrl: string, ids: ReadonlySet<string>, seconds = 90): Promise<Map<string, ScoredEvent[]>> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const res = await fetch(`${receiverNsUrl}/received`);
    const got = (await res.json()) as { batches: ScoredEvent[][] };
    const byId = new Map<string, ScoredEvent[]>();
    for (const r of got.batches.flat()) {
      if (!ids.has(r.event.transaction_id)) continue;
      const list = byId.get(r.event.transaction_id);
      if (list) list.push(r);
      else byId.set(r.event.transaction_id, [r]);
    }
    if (byId.size === ids.size) return byId;
    if (Date.now() > until) throw new Error(`forwarded ${byId.size} of ${ids.size} records within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
