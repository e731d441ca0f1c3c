import { z } from "zod";
import { CHANNELS, TRANSACTION_TYPES } from "../schemas.js";
import { RULE_FEATURE_NAMES, type RuleFeatureName } from "../features/extract.js";

/**
 * Tier-1 rule sets: declarative JSON, validated here, compiled to closures in compile.ts (never
 * eval). An expression is one of
 *   { all: [Expr, …] } | { any: [Expr, …] } | { not: Expr }
 *   { feature: <feature name>, op: ">" | ">=" | "<" | "<=" | "==" | "!=", value: number | boolean }
 *   { signal: <signal name>, is: boolean }
 *   { attr: "channel" | "transaction_type" | "merchant_category_code", in: [string, …] }
 * Features are FeatureVector fields plus geo_distance_km and history_events (events the card
 * had before this one). Signals are facts outside the vector (reference lookups, event shape).
 */
export const OPS = [">", ">=", "<", "<=", "==", "!="] as const;
export type Op = (typeof OPS)[number];
export const SIGNALS = [
  "bin_blocked",
  "ip_blocked",
  "reference_unavailable",
  "card_risk_high",
  "card_risk_medium",
  "device_present",
  "geolocation_present",
  "late_event",
] as const;
export type SignalName = (typeof SIGNALS)[number];
export const ATTRS = ["channel", "transaction_type", "merchant_category_code"] as const;
export type AttrName = (typeof ATTRS)[number];

export type Expr =
  | { all: Expr[] }
  | { any: Expr[] }
  | { not: Expr }
  | { feature: RuleFeatureName; op: Op; value: number | boolean }
  | { signal: SignalName; is: boolean }
  | { attr: AttrName; in: string[] };

const MAX_DEPTH = 16;
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const list = (xs: readonly string[]) => xs.join(" ");

/** Walks an expression and reports the first problem of each node with its path. */
function checkExpr(x: unknown, path: (string | number)[], add: (path: (string | number)[], msg: string) => void, depth = 0): void {
  if (depth > MAX_DEPTH) return add(path, `nested deeper than ${MAX_DEPTH}`);
  if (!isObj(x)) return add(path, "expected an expression object");
  const keys = Object.keys(x);
  const only = (allowed: string[]) => {
    const extra = keys.filter((k) => !allowed.includes(k));
    if (extra.length > 0) add(path, `unexpected key(s) ${extra.join(", ")} (allowed: ${allowed.join(", ")})`);
  };
  if ("all" in x || "any" in x) {
    const k = "all" in x ? "all" : "any";
    only([k]);
    const arr = x[k];
    if (!Array.isArray(arr) || arr.length === 0) return add([...path, k], "expected a non-empty array of expressions");
    arr.forEach((c, i) => checkExpr(c, [...path, k, i], add, depth + 1));
  } else if ("not" in x) {
    only(["not"]);
    checkExpr(x.not, [...path, "not"], add, depth + 1);
  } else if ("feature" in x) {
    only(["feature", "op", "value"]);
    if (typeof x.feature !== "string" || !(RULE_FEATURE_NAMES as readonly string[]).includes(x.feature)) {
      add([...path, "feature"], `unknown feature ${JSON.stringify(x.feature)} (one of ${list(RULE_FEATURE_NAMES)})`);
    }
    if (typeof x.op !== "string" || !(OPS as readonly string[]).includes(x.op)) {
      add([...path, "op"], `unknown operator ${JSON.stringify(x.op)} (one of ${list(OPS)})`);
    }
    const v = x.value;
    if (!((typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean")) add([...path, "value"], "expected a finite number or a boolean");
  } else if ("signal" in x) {
    only(["signal", "is"]);
    if (typeof x.signal !== "string" || !(SIGNALS as readonly string[]).includes(x.signal)) {
      add([...path, "signal"], `unknown signal ${JSON.stringify(x.signal)} (one of ${list(SIGNALS)})`);
    }
    if (typeof x.is !== "boolean") add([...path, "is"], "expected true or false");
  } else if ("attr" in x) {
    only(["attr", "in"]);
    if (typeof x.attr !== "string" || !(ATTRS as readonly string[]).includes(x.attr)) {
      add([...path, "attr"], `unknown attribute ${JSON.stringify(x.attr)} (one of ${list(ATTRS)})`);
    } else if (Array.isArray(x.in) && x.attr !== "merchant_category_code") {
      const allowed: readonly string[] = x.attr === "channel" ? CHANNELS : TRANSACTION_TYPES;
      x.in.forEach((v, i) => {
        if (typeof v !== "string" || !allowed.includes(v)) add([...path, "in", i], `unknown ${x.attr} ${JSON.stringify(v)} (one of ${list(allowed)})`);
      });
    }
    if (!Array.isArray(x.in) || x.in.length === 0 || x.in.some((v) => typeof v !== "string")) add([...path, "in"], "expected a non-empty array of strings");
  } else {
    add(path, "expected one of the keys all, any, not, feature, signal, attr");
  }
}

export const ExprSchema = z.unknown().superRefine((x, ctx) => {
  checkExpr(x, [], (path, message) => ctx.addIssue({ code: "custom", path, message }));
}) as unknown as z.ZodType<Expr>;

export const RuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and -"),
  description: z.string().min(1),
  reason_code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, "UPPER_SNAKE_CASE"),
  /** Points this rule adds to the rule tier (0–100). */
  score: z.number().min(0).max(100),
  /** BLOCK forces BLOCKED; REVIEW forces at least REVIEW. */
  action: z.enum(["BLOCK", "REVIEW"]).optional(),
  /** When true (default false) an allow-list entry never lifts this rule's forced action (core/lists.ts). */
  non_overridable: z.boolean().optional(),
  when: ExprSchema,
});
export type Rule = z.infer<typeof RuleSchema>;

export const RuleSetSchema = z
  .strictObject({
    version: z.string().min(1).max(64),
    description: z.string().optional(),
    rules: z.array(RuleSchema),
  })
  .superRefine((rs, ctx) => {
    const seen = new Set<string>();
    rs.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `duplicate rule id ${r.id}` });
      seen.add(r.id);
    });
  });
export type RuleSet = z.infer<typeof RuleSetSchema>;

/** Parses a rule set, throwing an Error whose message lists every problem with its path. */
export function parseRuleSet(input: unknown): RuleSet {
  const r = RuleSetSchema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new Error(`invalid rule set: ${lines.join("; ")}`);
}
