import { parseArgs } from "node:util";
import { num, UsageError, type Command } from "./common.js";

// `npm run vigil -- dlq list|redrive`: the edge's parked dead letters (one DeadLetterBox per
// region, filled by the dead-letter queue's consumer) through the edge's ops routes
// (/v1/ops/dead-letters), with an operator token (EDGE_OPS_TOKENS), never a scoring token.

interface Parked {
  id: string;
  parked_at: string;
  reason: string;
  transaction_id: string | null;
  letter: { error?: { code?: string; status?: number; detail?: string }; attempts?: number } | null;
}

async function ask(url: string, token: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(url, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${new URL(url).pathname} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

export const dlq: Command = {
  name: "dlq",
  summary: "list or redrive the edge's parked dead letters (a region's dead-letter queue)",
  usage: "dlq list [--limit 100] [--json] | dlq redrive (--ids a,b,… | --limit N | --all)  [--edge URL of the region] [--token ops token, default $VIGIL_EDGE_OPS_TOKEN]",
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        edge: { type: "string", default: process.env.VIGIL_EDGE_URL ?? "http://127.0.0.1:8787" },
        token: { type: "string", default: process.env.VIGIL_EDGE_OPS_TOKEN ?? "" },
        limit: { type: "string" },
        ids: { type: "string" },
        all: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
    });
    const action = positionals[0];
    if (action !== "list" && action !== "redrive") throw new UsageError("say list or redrive");
    if (values.token === "") throw new UsageError("an ops token is needed: --token or VIGIL_EDGE_OPS_TOKEN");
    const base = `${values.edge.replace(/\/+$/, "")}/v1/ops/dead-letters`;
    const limit = values.limit !== undefined ? num(values.limit, "--limit", 1, 1000) : undefined;

    if (action === "list") {
      const body = (await ask(`${base}?limit=${limit ?? 100}`, values.token)) as { total: number; letters: Parked[] };
      if (values.json) console.log(JSON.stringify(body, null, 2));
      else {
        console.log(`${body.total} parked dead letter(s)${body.total > body.letters.length ? `, oldest ${body.letters.length} shown` : ""}`);
        for (const l of body.letters) {
          const e = l.letter?.error;
          console.log(`${l.parked_at}  ${l.id}  ${l.reason.padEnd(22)} txn ${l.transaction_id ?? "-"}  ${e?.code ?? ""}${e?.status !== undefined ? ` ${e.status}` : ""} after ${l.letter?.attempts ?? "?"} attempt(s)`);
        }
      }
      return 0;
    }

    const ids = values.ids?.split(",").map((s) => s.trim()).filter(Boolean);
    if (!ids && limit === undefined && !values.all) throw new UsageError("redrive what? --ids a,b | --limit N | --all");
    let redriven = 0;
    let skipped: { id: string; reason: string }[] = [];
    // --all: batches of 1000 until nothing more goes (skipped letters stay parked and are reported).
    for (;;) {
      const payload = ids ? { ids } : { limit: limit ?? 1000 };
      const r = (await ask(`${base}/redrive`, values.token, { method: "POST", body: JSON.stringify(payload) })) as { redriven: string[]; skipped: { id: string; reason: string }[]; remaining: number };
      redriven += r.redriven.length;
      skipped = r.skipped;
      if (!values.all || ids || r.redriven.length === 0 || r.remaining <= r.skipped.length) {
        console.log(`redriven ${redriven}, skipped ${skipped.length}, still parked ${r.remaining}`);
        break;
      }
    }
    for (const s of skipped) console.log(`skipped ${s.id}: ${s.reason}`);
    return skipped.length > 0 ? 1 : 0;
  },
};
