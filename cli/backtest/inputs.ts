import { parseWith, TransactionEventSchema, type TransactionEvent } from "../../core/index.js";

// Backtest inputs: a JSONL event file and a label file, parsed leniently line by line so one bad
// record in a day's export costs that record, not the run.

export interface BadLine {
  line: number;
  message: string;
}

export interface ParsedEvents {
  events: TransactionEvent[];
  bad: BadLine[];
}

/** One TransactionEvent per line (core schema); blank lines are ignored, bad ones reported. */
export function parseEventsJsonl(text: string): ParsedEvents {
  const events: TransactionEvent[] = [];
  const bad: BadLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      bad.push({ line: i + 1, message: `not JSON (${e instanceof Error ? e.message : String(e)})` });
      return;
    }
    const r = parseWith(TransactionEventSchema, json);
    if (r.ok) events.push(r.value);
    else bad.push({ line: i + 1, message: r.issues.map((x) => `${x.path || "(event)"}: ${x.message}`).join("; ") });
  });
  return { events, bad };
}

export interface ParsedLabels {
  labels: Map<string, boolean>;
  bad: BadLine[];
}

const TRUE = new Set(["1", "true", "t", "yes", "y"]);
const FALSE = new Set(["0", "false", "f", "no", "n"]);

function parseFlag(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v !== "string") return undefined;
  const s = v.trim().toLowerCase();
  return TRUE.has(s) ? true : FALSE.has(s) ? false : undefined;
}

/**
 * Labels as CSV `transaction_id,is_fraud[,labelled_at]` (header optional) or JSONL
 * `{transaction_id, is_fraud}`, told apart by the first non-blank character. A later label of the
 * same transaction wins, as a chargeback overrides an earlier "legitimate" in the label tables.
 * labelled_at is accepted and not used: a backtest grades against the labels known today.
 */
export function parseLabels(text: string): ParsedLabels {
  const labels = new Map<string, boolean>();
  const bad: BadLine[] = [];
  const jsonl = text.trimStart().startsWith("{");
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    let id: unknown;
    let flag: unknown;
    if (jsonl) {
      try {
        const o = JSON.parse(line) as { transaction_id?: unknown; is_fraud?: unknown };
        id = o.transaction_id;
        flag = o.is_fraud;
      } catch {
        bad.push({ line: i + 1, message: "not JSON" });
        return;
      }
    } else {
      const cells = line.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
      if (i === 0 && cells[0] === "transaction_id") return;
      [id, flag] = cells;
    }
    const f = parseFlag(flag);
    if (typeof id !== "string" || id === "" || f === undefined) {
      bad.push({ line: i + 1, message: "expected transaction_id and is_fraud (true/false/1/0)" });
      return;
    }
    labels.set(id, f);
  });
  return { labels, bad };
}
