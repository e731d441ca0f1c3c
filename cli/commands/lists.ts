import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ListNameSchema, type ListName } from "../../core/contracts/lists.js";
import { parseWith } from "../../core/schemas.js";
import { checkEntries, ListEntryInputSchema, MAX_LIST_BATCH, type ListEntryInput } from "../../aggregator/lists/lists.js";
import { progress } from "../progress.js";
import { num, UsageError, type Command } from "./common.js";

// `lists import FILE --list NAME`: bulk allow/block list entries through the aggregator's API
// (POST /v1/lists/{list}/entries, so the author is the token's name and every change is audited
// as source "import"). CSV with a header (value, reason, expires_at — reason may come from
// --reason) or JSON (an array of entries, or {entries:[…]}). Rows are checked here first with the
// API's own schema; bad, duplicate and already-expired rows are reported with their line (CSV) or
// index (JSON) and skipped. Idempotent: importing the same file again reports every row unchanged.

export interface ImportSummary {
  list: ListName;
  rows: number;
  sent: number;
  created: number;
  updated: number;
  unchanged: number;
  invalid: number;
}

/** RFC 4180 fields of one CSV text (quotes, doubled quotes, commas and newlines inside quotes). */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let cur = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  const end = () => {
    fields.push(cur);
    if (!(fields.length === 1 && fields[0]?.trim() === "")) out.push({ line: start, fields });
    fields = [];
    cur = "";
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') quoted = false;
      else { if (ch === "\n") line++; cur += ch; }
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { fields.push(cur); cur = ""; }
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      end();
      line++;
      start = line;
    } else cur += ch;
  }
  if (cur !== "" || fields.length > 0) end();
  return out;
}

type Row = { where: string; input: unknown };

/** Rows of a CSV or JSON file, each with where it came from (for error lines). */
export function readRows(file: string, text: string, defaultReason: string | undefined): Row[] {
  const trimmed = text.replace(/^\uFEFF/, "").trimStart();
  const withReason = (o: Record<string, unknown>) => (o.reason === undefined || o.reason === "") && defaultReason !== undefined ? { ...o, reason: defaultReason } : o;
  if (file.endsWith(".json") || trimmed.startsWith("[") || trimmed.startsWith("{")) {
    const doc = JSON.parse(trimmed) as unknown;
    const items = Array.isArray(doc) ? doc : typeof doc === "object" && doc !== null && Array.isArray((doc as { entries?: unknown }).entries) ? (doc as { entries: unknown[] }).entries : undefined;
    if (!items) throw new UsageError(`${file}: JSON must be an array of entries or {"entries":[…]}`);
    return items.map((x, i) => ({ where: `entry ${i}`, input: typeof x === "object" && x !== null ? withReason(x as Record<string, unknown>) : x }));
  }
  const [header, ...rows] = parseCsv(trimmed);
  const cols = (header?.fields ?? []).map((c) => c.trim().toLowerCase());
  if (!cols.includes("value")) throw new UsageError(`${file}: the CSV header must name a value column (value,reason,expires_at)`);
  const unknown = cols.filter((c) => !["value", "reason", "expires_at"].includes(c));
  if (unknown.length > 0) throw new UsageError(`${file}: unknown CSV column(s) ${unknown.join(", ")} (allowed: value, reason, expires_at)`);
  return rows.map((r) => {
    const o: Record<string, unknown> = {};
    cols.forEach((c, i) => {
      const v = r.fields[i]?.trim() ?? "";
      if (v !== "") o[c] = v;
    });
    return { where: `line ${r.line}`, input: withReason(o) };
  });
}

/** Valid rows, and one message per refused row (schema, key shape, duplicates, past expiry). */
export function checkRows(list: ListName, rows: Row[], nowMs: number): { ok: ListEntryInput[]; errors: string[] } {
  const ok: ListEntryInput[] = [];
  const from: string[] = [];
  const errors: string[] = [];
  for (const r of rows) {
    const p = parseWith(ListEntryInputSchema, r.input);
    if (!p.ok) errors.push(`${r.where}: ${p.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    else { ok.push(p.value); from.push(r.where); }
  }
  const bad = new Set<number>();
  for (const i of checkEntries(list, ok, nowMs, (n) => `${n}.`)) {
    const dot = i.path.indexOf(".");
    const n = Number(i.path.slice(0, dot));
    bad.add(n);
    errors.push(`${from[n] ?? "?"}: ${i.path.slice(dot + 1)}: ${i.message.replace(/^duplicate of (\d+)\./, (_m, j: string) => `duplicate of ${from[Number(j)] ?? j} `).trim()}`);
  }
  return { ok: ok.filter((_e, i) => !bad.has(i)), errors };
}

type WriteAnswer = { created: number; updated: number; unchanged: number };

async function post(url: string, token: string, list: ListName, entries: ListEntryInput[]): Promise<WriteAnswer> {
  const res = await fetch(`${url.replace(/\/+$/, "")}/v1/lists/${list}/entries`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-vigil-source": "import" },
    body: JSON.stringify({ entries }),
  });
  const body = (await res.json().catch(() => ({}))) as Partial<WriteAnswer> & { error?: { code?: string; message?: string } };
  if (!res.ok) throw new Error(`aggregator answered ${res.status} ${body.error?.code ?? ""}: ${body.error?.message ?? ""}`.trim());
  return { created: body.created ?? 0, updated: body.updated ?? 0, unchanged: body.unchanged ?? 0 };
}

export async function importList(opts: { file: string; list: ListName; url: string; token: string; batch: number; reason?: string; dryRun?: boolean; nowMs?: number; log?: (line: string) => void }): Promise<ImportSummary> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const rows = readRows(opts.file, readFileSync(opts.file, "utf8"), opts.reason);
  const { ok, errors } = checkRows(opts.list, rows, opts.nowMs ?? Date.now());
  for (const e of errors) log(`skipped ${e}`);
  const s: ImportSummary = { list: opts.list, rows: rows.length, sent: 0, created: 0, updated: 0, unchanged: 0, invalid: errors.length };
  if (opts.dryRun) return s;
  const bar = progress(`import ${opts.list}`, ok.length, { toStderr: true });
  try {
    for (let i = 0; i < ok.length; i += opts.batch) {
      const chunk = ok.slice(i, i + opts.batch);
      const r = await post(opts.url, opts.token, opts.list, chunk);
      s.sent += chunk.length;
      s.created += r.created;
      s.updated += r.updated;
      s.unchanged += r.unchanged;
      bar.update(s.sent, { created: s.created, updated: s.updated, unchanged: s.unchanged });
    }
  } finally {
    bar.stop();
  }
  return s;
}

export const lists: Command = {
  name: "lists",
  summary: "bulk-import allow/block list entries (CSV or JSON) through the aggregator's API; idempotent, with a summary",
  usage: "lists import FILE --list block-card|allow-merchant|… [--reason TEXT] [--aggregator http://127.0.0.1:8788] [--token T] [--batch 500] [--dry-run] [--json]",
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== "import") throw new UsageError(`unknown subcommand ${JSON.stringify(sub ?? "")} (lists import FILE --list NAME)`);
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        list: { type: "string" },
        reason: { type: "string" },
        aggregator: { type: "string", default: process.env.VIGIL_AGGREGATOR_URL ?? "http://127.0.0.1:8788" },
        token: { type: "string", default: process.env.VIGIL_OPS_TOKEN ?? "" },
        batch: { type: "string", default: "500" },
        "dry-run": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
    });
    const file = positionals[0];
    if (file === undefined || positionals.length > 1) throw new UsageError("give exactly one FILE");
    const list = ListNameSchema.safeParse(values.list);
    if (!list.success) throw new UsageError(`--list must be one of ${ListNameSchema.options.join(", ")}`);
    if (!values["dry-run"] && values.token === "") throw new UsageError("--token (or VIGIL_OPS_TOKEN) is required: an analyst's ops token");
    const s = await importList({
      file, list: list.data, url: values.aggregator, token: values.token, batch: num(values.batch, "--batch", 1, MAX_LIST_BATCH),
      ...(values.reason !== undefined ? { reason: values.reason } : {}), dryRun: values["dry-run"],
    });
    if (values.json) console.log(JSON.stringify(s));
    else console.log(`${s.list}: ${s.rows} rows, ${s.sent} sent: ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged; ${s.invalid} invalid (skipped)`);
    return s.invalid > 0 ? 1 : 0;
  },
};
