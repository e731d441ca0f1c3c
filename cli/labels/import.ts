import { MAX_FEEDBACK_BATCH, type LabelInput } from "../../aggregator/risk/labels.js";

// Sends labels to the aggregator's ops API (POST /v1/feedback, analyst token) in batches of at
// most 500: the API writes each batch in one transaction and answers created / updated / unchanged
// per label, so importing the same file again changes nothing and the counts say so. Answers
// that can pass (429, 502–504, network errors) are retried with backoff; the API is idempotent,
// so a batch retried after a lost answer is counted as unchanged, never written twice.

export interface ImportSummary {
  sent: number;
  created: number;
  updated: number;
  unchanged: number;
  batches: number;
  retries: number;
}

export interface ImportOptions {
  url: string;
  token: string;
  batchSize?: number;
  /** After each acknowledged batch: labels done so far. */
  onProgress?: (done: number, summary: ImportSummary) => void;
  fetch?: typeof fetch;
  attempts?: number;
  backoffMs?: number;
}

export class ImportError extends Error {}

const RETRIABLE = new Set([429, 502, 503, 504]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function send(o: ImportOptions, batch: LabelInput[], summary: ImportSummary): Promise<{ created: number; updated: number; unchanged: number }> {
  const f = o.fetch ?? fetch;
  const attempts = o.attempts ?? 4;
  let last = "";
  for (let a = 1; a <= attempts; a++) {
    if (a > 1) {
      summary.retries += 1;
      await sleep((o.backoffMs ?? 500) * 2 ** (a - 2));
    }
    let res: Response;
    try {
      res = await f(`${o.url.replace(/\/+$/, "")}/v1/feedback`, {
        method: "POST",
        headers: { authorization: `Bearer ${o.token}`, "content-type": "application/json" },
        body: JSON.stringify({ labels: batch }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      last = `network: ${(e as Error).message}`;
      continue;
    }
    const body = (await res.json().catch(() => ({}))) as { created?: number; updated?: number; unchanged?: number; error?: { code?: string; message?: string } };
    if (res.ok && typeof body.created === "number" && typeof body.updated === "number" && typeof body.unchanged === "number") {
      return { created: body.created, updated: body.updated, unchanged: body.unchanged };
    }
    last = `HTTP ${res.status}${body.error ? ` ${body.error.code ?? ""}: ${body.error.message ?? ""}` : ""}`;
    if (!RETRIABLE.has(res.status)) break;
  }
  throw new ImportError(`aggregator refused a batch (${last}); ${summary.sent} labels were applied before it — importing the file again is safe`);
}

export async function importLabels(labels: LabelInput[], o: ImportOptions): Promise<ImportSummary> {
  const size = Math.min(o.batchSize ?? MAX_FEEDBACK_BATCH, MAX_FEEDBACK_BATCH);
  const summary: ImportSummary = { sent: 0, created: 0, updated: 0, unchanged: 0, batches: 0, retries: 0 };
  for (let i = 0; i < labels.length; i += size) {
    const batch = labels.slice(i, i + size);
    const r = await send(o, batch, summary);
    summary.sent += batch.length;
    summary.created += r.created;
    summary.updated += r.updated;
    summary.unchanged += r.unchanged;
    summary.batches += 1;
    o.onProgress?.(summary.sent, summary);
  }
  return summary;
}
