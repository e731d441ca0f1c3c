// Promote → edge, measured on a running `npm start` (embedded profile):
//   tsx tests/e2e/promote-latency.ts --edge http://127.0.0.1:E --aggregator http://127.0.0.1:A [--secrets .data/dev/secrets.json]
// 1. scores N backdated events through the edge (8–29 days old: within MAX_EVENT_AGE_DAYS, and
//    matured by now under the 7-day label delay), with a learnable pattern: fraud = large amounts
//    at a few merchants; 2. posts their labels (POST /v1/feedback); 3. trains through the ops API
//    (default window: 30 days up to now − delay, cut-off now) and waits for a candidate;
// 4. promotes it and times until a fresh transaction's verdict names it (model_version).
// Nothing is mocked: the edge in workerd reads the champion from the aggregator's snapshot.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    edge: { type: "string" },
    aggregator: { type: "string" },
    secrets: { type: "string", default: ".data/dev/secrets.json" },
    events: { type: "string", default: "2400" },
  },
});
if (!values.edge || !values.aggregator) throw new Error("--edge and --aggregator are required");
const EDGE = values.edge.replace(/\/+$/, "");
const AGG = values.aggregator.replace(/\/+$/, "");
const N = Number(values.events);
const sec = JSON.parse(readFileSync(values.secrets, "utf8")) as { edge_token: string; ops_admin_token: string };
const DAY = 86_400_000;
const RUN = Date.now().toString(36);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let seed = 12345;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

async function call<T>(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, body: (await r.json()) as T };
}

function event(i: number, tMs: number, fraud: boolean) {
  return {
    transaction_id: `TXN-PL-${RUN}-${i}`,
    card_number_hash: `card_pl_${RUN}_${String(i % 300).padStart(4, "0")}`,
    merchant_id: fraud ? `MCH-PL-BAD-${i % 3}` : `MCH-PL-${i % 40}`,
    merchant_category_code: fraud ? "5732" : "5411",
    amount_usd: fraud ? 400 + Math.round(rnd() * 600) : 5 + Math.round(rnd() * 120),
    currency: "USD",
    timestamp_utc: new Date(tMs).toISOString(),
    terminal_id: fraud ? `POS-PL-BAD-${i % 3}` : `POS-PL-${i % 60}`,
    transaction_type: "PURCHASE",
    channel: fraud ? "ONLINE" : "IN_STORE",
    geolocation: { lat: 40.71, lon: -74.0 },
  };
}

async function main(): Promise<void> {
  const now = Date.now();
  const from = now - 29 * DAY;
  const span = 21 * DAY;
  const frauds: string[] = [];
  const legit: string[] = [];
  const evs = Array.from({ length: N }, (_, i) => {
    const fraud = rnd() < 0.08;
    const e = event(i, from + Math.floor((span * i) / N), fraud);
    (fraud ? frauds : legit).push(e.transaction_id);
    return e;
  });
  for (let i = 0; i < evs.length; i += 100) {
    const r = await call<{ results?: unknown[] }>("POST", `${EDGE}/v1/transactions/score/batch`, sec.edge_token, { transactions: evs.slice(i, i + 100) });
    if (r.status !== 200) throw new Error(`score batch ${i}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  }
  console.log(`scored ${N} backdated events (${frauds.length} to be labelled fraud)`);
  // Wait until the aggregator has the last one (queue → ingest → sinks).
  const last = evs[evs.length - 1]!.transaction_id;
  for (let k = 0; ; k++) {
    const r = await fetch(`${AGG}/v1/transactions/${last}/fraud-verdict`, { headers: { authorization: `Bearer ${sec.ops_admin_token}` } });
    if (r.status === 200) break;
    if (k > 240) throw new Error("events never reached the aggregator");
    await sleep(500);
  }
  await sleep(3000); // the archive sink's feature-store batch after the verdict store
  const labels = [...frauds.map((id) => ({ transaction_id: id, is_fraud: true, source: "CHARGEBACK" })), ...legit.slice(0, 200).map((id) => ({ transaction_id: id, is_fraud: false, source: "ANALYST" }))];
  for (let i = 0; i < labels.length; i += 500) {
    const r = await call("POST", `${AGG}/v1/feedback`, sec.ops_admin_token, { labels: labels.slice(i, i + 500) });
    if (r.status !== 200) throw new Error(`feedback: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  }
  console.log(`labelled ${labels.length}`);
  await sleep(1000);

  const t = await call<{ version: string; status: string }>("POST", `${AGG}/v1/models/train`, sec.ops_admin_token, {});
  if (t.status !== 202) throw new Error(`train: ${t.status} ${JSON.stringify(t.body)}`);
  const version = t.body.version;
  let m: { status: string; error?: string; validation?: { auc_roc: number } };
  for (;;) {
    m = (await call<typeof m>("GET", `${AGG}/v1/models/${version}`, sec.ops_admin_token)).body;
    if (m.status !== "training") break;
    await sleep(500);
  }
  if (m.status !== "candidate") throw new Error(`training ${version}: ${m.status} ${m.error ?? ""}`);
  console.log(`trained ${version}: validation AUC ${m.validation?.auc_roc}`);

  const probe = (k: number) => ({ ...event(N + k, Date.now(), false), transaction_id: `TXN-PL-${RUN}-probe-${k}` });
  const before = await call<{ model_version: string }>("POST", `${EDGE}/v1/transactions/score`, sec.edge_token, probe(0));
  console.log(`before promote the edge scores with ${before.body.model_version}`);
  const t0 = performance.now();
  const p = await call("POST", `${AGG}/v1/models/${version}/promote`, sec.ops_admin_token);
  if (p.status !== 200) throw new Error(`promote: ${p.status} ${JSON.stringify(p.body)}`);
  const promotedMs = performance.now() - t0;
  for (let k = 1; ; k++) {
    const r = await call<{ model_version: string }>("POST", `${EDGE}/v1/transactions/score`, sec.edge_token, probe(k));
    if (r.body.model_version === version) {
      const s = (performance.now() - t0) / 1000;
      console.log(`promote answered in ${promotedMs.toFixed(0)} ms; the edge's verdict named ${version} ${s.toFixed(1)} s after POST /promote (${k} probes, one per 250 ms)`);
      return;
    }
    if (performance.now() - t0 > 120_000) throw new Error(`edge still scores with ${r.body.model_version} after 120 s`);
    await sleep(250);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
