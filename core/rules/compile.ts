import type { TransactionEvent } from "../schemas.js";
import { F } from "../features/extract.js";
import { SIGNALS, type Expr, type Rule, type RuleSet, type SignalName } from "./schema.js";

/** Signal flags, indexed by SIGNAL_INDEX, filled by the engine per event. */
export const SIGNAL_INDEX = Object.fromEntries(SIGNALS.map((s, i) => [s, i])) as Record<SignalName, number>;
export const N_SIGNALS = SIGNALS.length;

type Pred = (v: Float64Array, sig: Uint8Array, e: TransactionEvent) => boolean;

export interface CompiledRule {
  readonly id: string;
  readonly reasonCode: string;
  readonly description: string;
  readonly score: number;
  readonly action: "BLOCK" | "REVIEW" | undefined;
  /** An allow-list entry does not lift this rule's forced action. */
  readonly nonOverridable: boolean;
  readonly test: Pred;
}

export interface CompiledRuleSet {
  readonly version: string;
  readonly rules: readonly CompiledRule[];
}

function compileExpr(x: Expr): Pred {
  if ("all" in x) {
    const ps = x.all.map(compileExpr);
    if (ps.length === 2) {
      const [a, b] = ps as [Pred, Pred];
      return (v, s, e) => a(v, s, e) && b(v, s, e);
    }
    return (v, s, e) => {
      for (const p of ps) if (!p(v, s, e)) return false;
      return true;
    };
  }
  if ("any" in x) {
    const ps = x.any.map(compileExpr);
    return (v, s, e) => {
      for (const p of ps) if (p(v, s, e)) return true;
      return false;
    };
  }
  if ("not" in x) {
    const p = compileExpr(x.not);
    return (v, s, e) => !p(v, s, e);
  }
  if ("feature" in x) {
    const i = F[x.feature];
    const k = typeof x.value === "boolean" ? (x.value ? 1 : 0) : x.value;
    switch (x.op) {
      case ">": return (v) => (v[i] ?? NaN) > k;
      case ">=": return (v) => (v[i] ?? NaN) >= k;
      case "<": return (v) => (v[i] ?? NaN) < k;
      case "<=": return (v) => (v[i] ?? NaN) <= k;
      case "==": return (v) => v[i] === k;
      case "!=": return (v) => v[i] !== k;
    }
  }
  if ("signal" in x) {
    const i = SIGNAL_INDEX[x.signal];
    const want = x.is ? 1 : 0;
    return (_v, s) => s[i] === want;
  }
  const set = new Set(x.in);
  switch (x.attr) {
    case "channel": return (_v, _s, e) => set.has(e.channel);
    case "transaction_type": return (_v, _s, e) => set.has(e.transaction_type);
    case "merchant_category_code": return (_v, _s, e) => set.has(e.merchant_category_code);
  }
}

/** Compiles a validated rule set once; evaluation is then closure calls over the vector. */
export function compileRuleSet(rs: RuleSet): CompiledRuleSet {
  return {
    version: rs.version,
    rules: rs.rules.map((r: Rule) => ({
      id: r.id,
      reasonCode: r.reason_code,
      description: r.description,
      score: r.score,
      action: r.action,
      nonOverridable: r.non_overridable === true,
      test: compileExpr(r.when),
    })),
  };
}
