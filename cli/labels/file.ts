import { LabelInputSchema, type LabelInput } from "../../aggregator/risk/labels.js";

// A chargeback (or other label) file for `vigil labels import`: CSV with a header row, a JSON
// array (or {"labels": [...]}), or JSON lines. Columns / keys: transaction_id, is_fraud (also
// `fraud`: true/false, 1/0, yes/no, fraud/legit), source (CHARGEBACK, … ; default from --source),
// date (also reported_on: YYYY-MM-DD or an ISO timestamp, kept as its UTC date), note (optional).
// Every row is checked with the API's own schema before anything is sent; bad rows are reported
// with their line (CSV, JSONL) or index (JSON).

export interface RowIssue {
  where: string;
  message: string;
}

export interface ParsedLabels {
  labels: LabelInput[];
  issues: RowIssue[];
  /** Rows repeating an earlier row of the file exactly (sent once). */
  duplicates: number;
  rows: number;
}

const TRUE = new Set(["true", "1", "yes", "y", "fraud", "t"]);
const FALSE = new Set(["false", "0", "no", "n", "legit", "legitimate", "f", "not_fraud"]);

/** One CSV line into fields: commas, double-quoted fields with "" for a quote. */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur === "") quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

function flag(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number" && (v === 0 || v === 1)) return v === 1;
  if (typeof v !== "string") return undefined;
  const s = v.trim().toLowerCase();
  return TRUE.has(s) ? true : FALSE.has(s) ? false : undefined;
}

function date(v: unknown): string | undefined | null {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v.trim())) return v.trim();
  const ms = Date.parse(v);
  return Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(v.trim()) ? null : new Date(ms).toISOString().slice(0, 10);
}

/** A row's loose fields into the API's label, or the problems with it. */
function toLabel(raw: Record<string, unknown>, defaultSource: string | undefined): { label?: LabelInput; problems: string[] } {
  const problems: string[] = [];
  const fraudRaw = raw.is_fraud ?? raw.fraud;
  const isFraud = flag(fraudRaw);
  if (isFraud === undefined) problems.push(`is_fraud: ${JSON.stringify(fraudRaw ?? null)} is not true/false, 1/0, yes/no or fraud/legit`);
  const day = date(raw.date ?? raw.reported_on);
  if (day === null) problems.push(`date: ${JSON.stringify(raw.date ?? raw.reported_on)} is not YYYY-MM-DD or an ISO timestamp`);
  const sourceRaw = raw.source === undefined || raw.source === "" ? defaultSource : raw.source;
  const candidate = {
    transaction_id: raw.transaction_id,
    is_fraud: isFraud ?? false,
    source: typeof sourceRaw === "string" ? sourceRaw.trim().toUpperCase() : sourceRaw,
    ...(raw.note !== undefined && raw.note !== "" ? { note: raw.note } : {}),
    ...(day ? { reported_on: day } : {}),
  };
  const r = LabelInputSchema.safeParse(candidate);
  if (!r.success) {
    for (const i of r.error.issues) {
      // Named as the file names it: the API's reported_on is the file's `date` column.
      const path = i.path.join(".");
      problems.push(`${path === "reported_on" && raw.date !== undefined ? "date" : path || "(row)"}: ${i.message}`);
    }
  }
  return problems.length === 0 && r.success ? { label: r.data, problems } : { problems };
}

function rowsOf(text: string, name: string): Array<{ where: string; raw: Record<string, unknown> | undefined; error?: string }> {
  const trimmed = text.trimStart();
  const isJsonl = /\.jsonl$|\.ndjson$/i.test(name);
  if (!isJsonl && (trimmed.startsWith("[") || trimmed.startsWith("{"))) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      // Several objects, one per line, are JSON lines; anything else is broken JSON.
      if (trimmed.startsWith("[")) return [{ where: "file", raw: undefined, error: `not valid JSON: ${(e as Error).message}` }];
    }
    if (doc !== undefined) {
      const obj = doc as { labels?: unknown; transaction_id?: unknown };
      const list = Array.isArray(doc) ? doc : obj.labels ?? (obj.transaction_id !== undefined ? [doc] : undefined);
      if (!Array.isArray(list)) return [{ where: "file", raw: undefined, error: 'expected a JSON array of labels or {"labels": [...]}' }];
      return list.map((x, i) => ({ where: `item ${i}`, raw: x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined }));
    }
  }
  const lines = text.split(/\r?\n/);
  if (isJsonl || trimmed.startsWith("{")) {
    return lines.flatMap((l, i) => {
      if (l.trim() === "") return [];
      try {
        const x: unknown = JSON.parse(l);
        return [{ where: `line ${i + 1}`, raw: x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined }];
      } catch {
        return [{ where: `line ${i + 1}`, raw: undefined, error: "not valid JSON" }];
      }
    });
  }
  const headerAt = lines.findIndex((l) => l.trim() !== "" && !l.startsWith("#"));
  if (headerAt < 0) return [];
  const header = csvFields(lines[headerAt] ?? "").map((h) => h.toLowerCase());
  if (!header.includes("transaction_id")) return [{ where: `line ${headerAt + 1}`, raw: undefined, error: "CSV header must name transaction_id (and is_fraud, source, date)" }];
  return lines.slice(headerAt + 1).flatMap((l, i) => {
    if (l.trim() === "" || l.startsWith("#")) return [];
    const f = csvFields(l);
    return [{ where: `line ${headerAt + 2 + i}`, raw: Object.fromEntries(header.map((h, j) => [h, f[j] ?? ""])) }];
  });
}

export function parseLabelsFile(text: string, name: string, defaultSource?: string): ParsedLabels {
  const out: ParsedLabels = { labels: [], issues: [], duplicates: 0, rows: 0 };
  const seen = new Map<string, { where: string; key: string }>();
  for (const row of rowsOf(text, name)) {
    out.rows += 1;
    if (row.raw === undefined) {
      out.issues.push({ where: row.where, message: row.error ?? "not an object" });
      continue;
    }
    const { label, problems } = toLabel(row.raw, defaultSource);
    if (!label) {
      out.issues.push({ where: row.where, message: problems.join("; ") });
      continue;
    }
    const key = JSON.stringify([label.is_fraud, label.source, label.note ?? null, label.reported_on ?? null]);
    const first = seen.get(label.transaction_id);
    if (first) {
      if (first.key === key) out.duplicates += 1;
      else out.issues.push({ where: row.where, message: `transaction_id ${label.transaction_id}: conflicts with ${first.where}` });
      continue;
    }
    seen.set(label.transaction_id, { where: row.where, key });
    out.labels.push(label);
  }
  if (out.rows === 0) out.issues.push({ where: "file", message: "no labels in the file" });
  return out;
}
