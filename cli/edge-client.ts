import type { VerdictResponse } from "../core/schemas.js";

// A small client for the edge API, used by the producer, load test and eval. Node's fetch keeps
// connections alive, so the measured latency is the request, not a TCP handshake.

export interface EdgeClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs?: number;
}

export type ScoreResult =
  | { ok: true; verdict: VerdictResponse; latencyMs: number }
  | { ok: false; status: number; code: string; latencyMs: number };

export interface EdgeClient {
  score(event: unknown): Promise<ScoreResult>;
  scoreBatch(events: unknown[]): Promise<{ ok: true; results: VerdictResponse[]; latencyMs: number } | Extract<ScoreResult, { ok: false }>>;
}

interface ErrorBody {
  error?: { code?: string };
}

export function createEdgeClient(opts: EdgeClientOptions): EdgeClient {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const post = async (path: string, body: unknown) => {
    const started = performance.now();
    try {
      const res = await fetch(`${base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${opts.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // A body that cannot be read (cut off by the timeout mid-stream, or not JSON) is a failed
      // request, never an answer: counting it as a verdict would corrupt the detection figures.
      const json: unknown = await res.json().catch(() => undefined);
      if (json === undefined) return { res: undefined, json: { error: { code: res.ok ? "UNREADABLE_RESPONSE" : `HTTP_${res.status}` } }, latencyMs: performance.now() - started };
      return { res, json, latencyMs: performance.now() - started };
    } catch (e) {
      const code = e instanceof Error && e.name === "TimeoutError" ? "TIMEOUT" : "NETWORK_ERROR";
      return { res: undefined, json: { error: { code } }, latencyMs: performance.now() - started };
    }
  };
  const failure = (status: number, json: unknown, latencyMs: number) => ({
    ok: false as const,
    status,
    code: (json as ErrorBody).error?.code ?? `HTTP_${status}`,
    latencyMs,
  });
  return {
    async score(event) {
      const { res, json, latencyMs } = await post("/v1/transactions/score", event);
      if (res?.ok) {
        const v = json as Partial<VerdictResponse>;
        if (v.verdict === "APPROVED" || v.verdict === "REVIEW" || v.verdict === "BLOCKED") return { ok: true, verdict: json as VerdictResponse, latencyMs };
        return { ok: false, status: res.status, code: "UNEXPECTED_RESPONSE", latencyMs };
      }
      return failure(res?.status ?? 0, json, latencyMs);
    },
    async scoreBatch(events) {
      const { res, json, latencyMs } = await post("/v1/transactions/score/batch", { transactions: events });
      if (res?.ok) return { ok: true, results: (json as { results: VerdictResponse[] }).results, latencyMs };
      return failure(res?.status ?? 0, json, latencyMs);
    },
  };
}
