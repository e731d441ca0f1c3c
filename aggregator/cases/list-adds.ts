import { z } from "zod";
import { ListNameSchema, listValueProblem, parseListName, type ListKind, type ListName } from "../../core/contracts/lists.js";
import { containsCardNumber } from "../../core/pan-guard.js";
import type { FieldIssue, TransactionEvent } from "../../core/schemas.js";
import type { VerdictStore, SqlQuery } from "../ports/index.js";
import { writeListEntry, type ListEntry } from "../lists/lists.js";

// A case decision can add the case's card, device, merchant (or terminal, IP, BIN) to a list in
// the same transaction as closing the case and writing its label: all or nothing. Card, merchant
// and terminal come from the case row; device, IP and BIN from the stored event (read before the
// transaction, since the verdict store is not the SQL database in the stack profile).

export const AddToListSchema = z.strictObject({
  list: ListNameSchema,
  /** Defaults to "case <id> decided <FRAUD|LEGIT>: <note>". */
  reason: z.string().trim().min(1).max(500).optional(),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});
export type AddToList = z.infer<typeof AddToListSchema>;

/** Refuses the decision (409) when the case has no value for the list's kind. */
export class ListValueUnavailable extends Error {
  constructor(readonly kind: ListKind) {
    super(`the case's transaction carries no ${kind} value to add to a list`);
  }
}

/** The ListValueUnavailable behind an error (the SQL client wraps what a transaction throws). */
export function listValueUnavailable(e: unknown): ListValueUnavailable | undefined {
  for (let x = e, depth = 0; x instanceof Error && depth < 5; x = x.cause, depth++) if (x instanceof ListValueUnavailable) return x;
  return undefined;
}

const FROM_EVENT: Partial<Record<ListKind, (e: TransactionEvent) => string | undefined>> = {
  device: (e) => e.device_fingerprint,
  ip: (e) => e.ip_address_hash,
  bin: (e) => e.card_bin,
};

/** The case fields a list value can come from (review.ts's ReviewCase has them). */
export interface CaseKeys {
  case_id: number;
  card_number_hash: string;
  merchant_id: string;
  terminal_id: string | null;
}

export type CaseListWrite = (tx: SqlQuery, c: CaseKeys, decision: { decision: string; note: string }, who: string, nowIso: string) => Promise<ListEntry>;

/** Field checks (400 issues under add_to_list.*) and the stored event when the kind needs it. */
export async function prepareCaseListAdd(
  add: AddToList, caseTransactionId: string | undefined, verdicts: Pick<VerdictStore, "getVerdict">, nowMs: number,
): Promise<{ ok: true; write: CaseListWrite } | { ok: false; issues: FieldIssue[] }> {
  const issues: FieldIssue[] = [];
  if (add.reason !== undefined && containsCardNumber(add.reason)) issues.push({ path: "add_to_list.reason", message: "looks like a card number: Vigil stores card hashes only" });
  if (add.expires_at && Date.parse(add.expires_at) <= nowMs) issues.push({ path: "add_to_list.expires_at", message: "must lie in the future" });
  if (issues.length > 0) return { ok: false, issues };
  const list: ListName = add.list;
  const { kind } = parseListName(list);
  const fromEvent = FROM_EVENT[kind];
  const event = fromEvent && caseTransactionId !== undefined ? (await verdicts.getVerdict(caseTransactionId))?.record.event : undefined;
  const write: CaseListWrite = async (tx, c, d, who, nowIso) => {
    const value = fromEvent ? (event ? fromEvent(event) : undefined) : kind === "card" ? c.card_number_hash : kind === "merchant" ? c.merchant_id : (c.terminal_id ?? undefined);
    if (value === undefined || listValueProblem(kind, value) !== undefined) throw new ListValueUnavailable(kind);
    const reason = add.reason ?? `case ${c.case_id} decided ${d.decision}: ${d.note}`.slice(0, 500);
    const r = await writeListEntry(tx, list, { value, reason, expires_at: add.expires_at ?? null }, { name: who, source: `case:${c.case_id}` }, nowIso);
    return r.entry;
  };
  return { ok: true, write };
}
