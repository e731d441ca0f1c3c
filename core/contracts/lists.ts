import { z } from "zod";

// Allow and block lists: the names the ops API, the CLI, the reference snapshot and the engine
// share. A list is one action over one kind of key, named `<action>-<kind>` (e.g. `block-card`).
// A block entry decides BLOCKED (LIST_BLOCK); an allow entry lowers REVIEW to APPROVED
// (ALLOW_LIST) unless a block entry or a non-overridable rule holds the verdict (core/lists.ts).

export const LIST_ACTIONS = ["block", "allow"] as const;
export type ListAction = (typeof LIST_ACTIONS)[number];
/** card: card_number_hash; bin: BIN prefix (6–8 digits, any prefix of card_bin); ip: ip_address_hash; device: device_fingerprint. */
export const LIST_KINDS = ["card", "bin", "ip", "device", "merchant", "terminal"] as const;
export type ListKind = (typeof LIST_KINDS)[number];
export const LIST_NAMES = LIST_ACTIONS.flatMap((a) => LIST_KINDS.map((k) => `${a}-${k}` as const));
export type ListName = (typeof LIST_NAMES)[number];
export const ListNameSchema = z.enum(LIST_NAMES as [ListName, ...ListName[]], { error: `one of ${LIST_NAMES.join(", ")}` });

export function parseListName(name: ListName): { action: ListAction; kind: ListKind } {
  const [action, kind] = name.split("-") as [ListAction, ListKind];
  return { action, kind };
}

const BIN = /^\d{6,8}$/;
/** Keys as the events carry them: printable, no spaces, ≤ 128 characters (BINs: 6–8 digits). */
const KEY = /^[\x21-\x7e]{1,128}$/;

/** Why a value is not a valid key of `kind`, or undefined when it is. */
export function listValueProblem(kind: ListKind, value: string): string | undefined {
  if (kind === "bin") return BIN.test(value) ? undefined : "a BIN prefix: 6 to 8 digits";
  return KEY.test(value) ? undefined : "1 to 128 printable characters without spaces";
}

/** One list entry as the edge carries it: expiry in epoch ms (absent = never expires). */
export const ListHitSchema = z.strictObject({
  action: z.enum(LIST_ACTIONS),
  kind: z.enum(LIST_KINDS),
  expires_at_ms: z.number().int().optional(),
});
export type ListHit = z.infer<typeof ListHitSchema>;

/** Reason codes the engine writes for list decisions. */
export const LIST_BLOCK = "LIST_BLOCK";
export const ALLOW_LIST = "ALLOW_LIST";
