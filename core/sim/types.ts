import type { ReferenceSignals, TransactionEvent } from "../schemas.js";

export const FRAUD_PATTERNS = ["VELOCITY_ATTACK", "IMPOSSIBLE_TRAVEL", "ACCOUNT_TAKEOVER", "MERCHANT_COMPROMISE"] as const;
export type FraudPattern = (typeof FRAUD_PATTERNS)[number];

/**
 * One simulated event with its ground truth and the reference signals a lookup would return.
 * Events are shared read-only objects (terminal coordinates are reused): do not mutate them.
 * Absent optional fields are present with the value `undefined` (one object shape, faster).
 */
export interface LabelledEvent {
  event: TransactionEvent;
  is_fraud: boolean;
  pattern?: FraudPattern;
  refs: ReferenceSignals;
}

/** Bumped whenever the same seed would generate different traffic (recorded in trained models). */
export const GENERATOR_VERSION = "vigil-sim/3";
