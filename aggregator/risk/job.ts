import type { Logger } from "../../core/contracts/logger.js";
import { publishReference, type PublishResult } from "../reference/publish.js";
import type { ReferenceTarget } from "../reference/target.js";
import { DEFAULT_RISK_CONFIG, recomputeRisk, type RecomputeResult, type RiskConfig } from "./risk.js";
import type { OpsSql } from "../ports/index.js";

// The labels → risk → reference-data job: runs on a timer and after each accepted feedback batch.
// Runs never overlap; a trigger during a run schedules exactly one more run after it.

export interface RiskJobDeps {
  sql: OpsSql;
  /** Redis (stack); absent: the snapshot endpoint serves the edge (embedded). */
  target?: ReferenceTarget;
  now: () => number;
  config?: RiskConfig;
  metrics?: { riskJob(outcome: "ok" | "error", finishedAtMs: number, refdataVersion?: number): void };
  log?: Pick<Logger, "info" | "error">;
}

export interface RiskJobRun {
  recompute: RecomputeResult;
  publish: PublishResult;
  finished_at: string;
}

export interface RiskJob {
  /** Runs now (or joins the run in progress followed by one more) and resolves with its result. */
  run(): Promise<RiskJobRun>;
  /** Fire-and-forget run request; failures are logged with code RISK_JOB_FAILED, never thrown. */
  trigger(): void;
  start(intervalMs: number): void;
  stop(): Promise<void>;
  last(): { run?: RiskJobRun; error?: string; failed_at?: string };
}

export function createRiskJob(deps: RiskJobDeps): RiskJob {
  const cfg = deps.config ?? DEFAULT_RISK_CONFIG;
  let current: Promise<RiskJobRun> | undefined;
  let queued: Promise<RiskJobRun> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastRun: RiskJobRun | undefined;
  let lastError: { error: string; failed_at: string } | undefined;

  const once = async (): Promise<RiskJobRun> => {
    try {
      const recompute = await recomputeRisk(deps.sql, deps.now(), cfg);
      const publish = await publishReference(deps.sql, deps.target, new Date(deps.now()).toISOString());
      lastRun = { recompute, publish, finished_at: new Date(deps.now()).toISOString() };
      lastError = undefined;
      deps.metrics?.riskJob("ok", deps.now(), publish.version);
      deps.log?.info("RISK_JOB_DONE", { merchants: recompute.merchants, terminals: recompute.terminals, cards: recompute.cards, changes: publish.changes, version: publish.version });
      return lastRun;
    } catch (e) {
      lastError = { error: (e as Error).message, failed_at: new Date(deps.now()).toISOString() };
      deps.metrics?.riskJob("error", deps.now());
      throw e;
    }
  };

  const run = (): Promise<RiskJobRun> => {
    if (!current) {
      current = once().finally(() => {
        current = undefined;
      });
      return current;
    }
    queued ??= current
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return run();
      });
    return queued;
  };

  const trigger = () => {
    run().catch((e: unknown) => deps.log?.error("RISK_JOB_FAILED", { error: (e as Error).message }));
  };

  return {
    run,
    trigger,
    start(intervalMs) {
      if (timer) return;
      timer = setInterval(trigger, intervalMs);
      timer.unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await Promise.allSettled([current, queued]);
    },
    last: () => ({ ...(lastRun ? { run: lastRun } : {}), ...(lastError ?? {}) }),
  };
}
