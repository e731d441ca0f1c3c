import type { Logger } from "../../core/contracts/logger.js";
import type { SummaryStore, VerdictStore, OpsSql } from "../ports/index.js";
import type { TokenAuth } from "../http/auth.js";
import type { HealthSources } from "./health.js";
import type { RiskJob } from "../risk/job.js";
import type { OpsMetrics } from "./metrics.js";
import type { SnapshotBase } from "../reference/publish.js";
import type { ModelService } from "../training/service.js";
import type { RuleService } from "../rules/service.js";

// What the ops routes are built from: every router of the ops API (routes.ts, review-routes.ts)
// takes these, so they live apart from any one router.

export type OpsLogger = Pick<Logger, "info" | "error">;

export interface OpsDeps {
  sql: OpsSql;
  verdicts: VerdictStore;
  summaries: Pick<SummaryStore, "summaryForDate">;
  auth: TokenAuth;
  health: HealthSources;
  riskJob: RiskJob;
  /** Block lists, IP risk, active versions: the part of the snapshot the ops tables do not own. */
  snapshotBase?: SnapshotBase;
  now: () => number;
  /** The learning loop's clock (OPS_LEARNING_CLOCK): when feedback labels are recorded. Default `now`. */
  learningNow?: () => number;
  log: OpsLogger;
  metrics?: OpsMetrics;
  /** Case handling settings (OPS_CASE_SLA_HOURS); SLA 24 h when absent. */
  cases?: { slaHours: number };
  /** Largest request body of an ops route (default 1 MiB); larger: 413 PAYLOAD_TOO_LARGE. */
  maxBodyBytes?: number;
  /** The learning loop's model registry (train, compare, shadow, promote); 503 on its routes when absent. */
  models?: ModelService;
  /** The rules registry (write, backtest, shadow, activate); 503 on its routes when absent. */
  rules?: RuleService;
}

