import type { Logger } from "../../core/contracts/logger.js";
import type { TokenAuth } from "../http/auth.js";
import type { OpsSql, VerdictStore } from "../ports/index.js";
import type { RiskJob } from "../risk/job.js";

// What the review queue's routes are built from (the ops API passes its whole deps object).

export interface CaseDeps {
  sql: OpsSql;
  verdicts: VerdictStore;
  auth: TokenAuth;
  /** Re-run after accepted labels, so risk follows decisions. */
  riskJob: Pick<RiskJob, "trigger">;
  now: () => number;
  /** The learning loop's clock (OPS_LEARNING_CLOCK): when feedback labels are recorded. Default `now`. */
  learningNow?: () => number;
  log: Pick<Logger, "info" | "error">;
  metrics?: { labels(outcome: "created" | "updated" | "unchanged", n: number): void };
  /** Case handling settings (OPS_CASE_SLA_HOURS); SLA 24 h when absent. */
  cases?: { slaHours: number };
}
