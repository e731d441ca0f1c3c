import { LIST_ACTIONS, LIST_KINDS, listValueProblem, parseListName, type ListAction, type ListHit, type ListKind, type ListName } from "../../core/contracts/lists.js";
import type { ListsSnapshot } from "../../core/contracts/reference.js";
import type { TransactionEvent } from "../../core/schemas.js";

// Allow and block lists at the edge: built into maps once per snapshot, so an event costs at most
// eight map lookups per action (card, device, merchant, terminal, ip, three BIN prefixes), none
// when no list is published. Expiry travels with a hit and is judged by core at event time.

/** Per action, per kind: key → expiry in epoch ms (undefined = never). */
export type ListIndex = Record<ListAction, Record<ListKind, ReadonlyMap<string, number | undefined>>>;

const emptyKinds = (): Record<ListKind, Map<string, number | undefined>> =>
  Object.fromEntries(LIST_KINDS.map((k) => [k, new Map<string, number | undefined>()])) as Record<ListKind, Map<string, number | undefined>>;

export function emptyListIndex(): ListIndex {
  return { block: emptyKinds(), allow: emptyKinds() };
}

export function indexLists(lists: ListsSnapshot | undefined): ListIndex {
  const out = { block: emptyKinds(), allow: emptyKinds() };
  for (const [name, entries] of Object.entries(lists ?? {})) {
    const { action, kind } = parseListName(name as ListName);
    const m = out[action][kind];
    for (const [k, exp] of Object.entries(entries)) m.set(k, exp === null ? undefined : Date.parse(exp));
  }
  return out;
}

export function listSize(index: ListIndex): number {
  let n = 0;
  for (const a of LIST_ACTIONS) for (const k of LIST_KINDS) n += index[a][k].size;
  return n;
}

/**
 * Redis list hashes (REDIS_KEYS.listBlock / listAllow: field `<kind>:<key>`, value ISO expiry or "")
 * into the snapshot's shape; an entry that does not parse is skipped and its hash key reported.
 */
export function listsFromHashes(raw: Record<ListAction, [string, unknown][]>, keys: Record<ListAction, string>, bad: string[]): ListsSnapshot {
  const out: ListsSnapshot = {};
  for (const action of LIST_ACTIONS) {
    for (const [field, value] of raw[action]) {
      const colon = field.indexOf(":");
      const kind = field.slice(0, colon) as ListKind;
      const key = field.slice(colon + 1);
      const exp = typeof value === "string" ? value : "";
      if (colon < 0 || !(LIST_KINDS as readonly string[]).includes(kind) || listValueProblem(kind, key) !== undefined || (exp !== "" && !Number.isFinite(Date.parse(exp)))) {
        bad.push(keys[action]);
        continue;
      }
      const name: ListName = `${action}-${kind}`;
      (out[name] ??= {})[key] = exp === "" ? null : exp;
    }
  }
  return out;
}

function push(hits: ListHit[] | undefined, action: ListAction, kind: ListKind, m: ReadonlyMap<string, number | undefined>, key: string | undefined): ListHit[] | undefined {
  if (key === undefined || m.size === 0 || !m.has(key)) return hits;
  const exp = m.get(key);
  const h: ListHit = exp === undefined ? { action, kind } : { action, kind, expires_at_ms: exp };
  (hits ??= []).push(h);
  return hits;
}

/** The list entries an event matches (undefined when none). */
export function listHitsFor(index: ListIndex, e: TransactionEvent): ListHit[] | undefined {
  let hits: ListHit[] | undefined;
  for (const action of LIST_ACTIONS) {
    const l = index[action];
    hits = push(hits, action, "card", l.card, e.card_number_hash);
    hits = push(hits, action, "device", l.device, e.device_fingerprint);
    hits = push(hits, action, "merchant", l.merchant, e.merchant_id);
    hits = push(hits, action, "terminal", l.terminal, e.terminal_id);
    hits = push(hits, action, "ip", l.ip, e.ip_address_hash);
    if (e.card_bin !== undefined && l.bin.size > 0) {
      // A BIN entry is a prefix (6–8 digits), as the block-list BINs are.
      for (let len = 6; len <= Math.min(8, e.card_bin.length); len++) hits = push(hits, action, "bin", l.bin, e.card_bin.slice(0, len));
    }
  }
  return hits;
}
