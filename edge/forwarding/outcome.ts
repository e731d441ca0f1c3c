// How the consumer reads the aggregator's answer to POST /v1/ingest.
//
// 401/403 mean the signature was refused (wrong secret, or the edge clock is off by more than the
// skew window) and 404 means a wrong AGGREGATOR_URL path: configuration errors that a fix and
// redeploy cure, so the messages are retried with backoff (and logged as errors) rather than
// dead-lettered at once; past FORWARD_MAX_ATTEMPTS they are dead-lettered like any other failure.
// Other 4xx answers say the batch itself is wrong; sending it again cannot help.

export type Outcome =
  | { kind: "ok"; status: number }
  | { kind: "retry"; code: string; status?: number; detail: string; retryAfterSeconds?: number }
  | { kind: "reject"; code: string; status: number; detail: string };

const RETRIABLE_4XX = new Set([408, 425, 429]);
const CONFIG_4XX: Record<number, string> = { 401: "FORWARD_AUTH_REJECTED", 403: "FORWARD_AUTH_REJECTED", 404: "FORWARD_NOT_FOUND" };

function retryAfter(res: Response): number | undefined {
  const v = res.headers.get("retry-after");
  if (v === null || !/^\d{1,6}$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

async function detailOf(res: Response): Promise<string> {
  try {
    return (await res.text()).replace(/\s+/g, " ").slice(0, 300);
  } catch {
    return "";
  }
}

export async function classifyIngestAnswer(res: Response): Promise<Outcome> {
  const status = res.status;
  if (status >= 200 && status < 300) {
    await res.body?.cancel();
    return { kind: "ok", status };
  }
  const detail = await detailOf(res);
  const ra = retryAfter(res);
  const withRetryAfter = ra !== undefined ? { retryAfterSeconds: ra } : {};
  if (status >= 500 || RETRIABLE_4XX.has(status)) {
    return { kind: "retry", code: status >= 500 ? "FORWARD_SERVER_ERROR" : "FORWARD_THROTTLED", status, detail, ...withRetryAfter };
  }
  const configCode = CONFIG_4XX[status];
  if (configCode !== undefined) return { kind: "retry", code: configCode, status, detail, ...withRetryAfter };
  if (status >= 400) return { kind: "reject", code: "FORWARD_REJECTED", status, detail };
  // 1xx/3xx: fetch follows redirects, so this is a misconfigured endpoint; worth another try.
  return { kind: "retry", code: "FORWARD_UNEXPECTED_STATUS", status, detail };
}
