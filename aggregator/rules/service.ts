import { defaultRuleSet } from "../../core/engine-default.js";
import type { RuleSet } from "../../core/rules/schema.js";
import type { Archive, OpsSql } from "../ports/index.js";
import { backtestRuleSets, type BacktestResult } from "./backtest.js";
import { liveStats, type LiveStats } from "./live.js";
import { publishActive } from "../reference/publish.js";
import type { ReferenceTarget } from "../reference/target.js";
import { activeRuleSets, snapshotRules } from "./publish.js";
import {
  createRuleSet, getRuleSet, listRuleSets, loadRuleSet, moveRuleSet, ruleState, stopShadow,
  RuleSetNotFoundError, type Move, type RuleEventRow, type RuleSetRow, type RuleState,
} from "./store.js";

// The rules registry's operations behind the routes: store, move, publish to the edge, backtest
// over the archive, live statistics. A move is committed before it is published; a failed
// publish answers 503 and the same call again re-publishes (the edge is told the current state,
// whatever it is, so retries are safe).

export interface RuleServiceDeps {
  sql: OpsSql;
  /** Redis (stack); absent: the snapshot endpoint serves the edge (embedded). */
  target?: ReferenceTarget;
  now: () => number;
  /** The archive the backtest reads (raw/transactions/); the backtest answers 503 without it. */
  archive?: Archive;
  rootPrefix?: string;
}

export interface RuleService {
  create(rs: RuleSet, actor: string): Promise<{ row: RuleSetRow; created: boolean }>;
  list(): Promise<{ state: RuleState; rows: RuleSetRow[] }>;
  get(version: string): Promise<{ row: RuleSetRow; ruleSet: RuleSet; events: RuleEventRow[] } | undefined>;
  move(version: string, to: "active" | "shadow", actor: string): Promise<Move & { published_to: string[] }>;
  stopShadow(actor: string): Promise<{ previous_version: string | null; published_to: string[] }>;
  publish(): Promise<string[]>;
  backtest(version: string, fromIso: string, toIso: string): Promise<BacktestResult>;
  stats(version: string, fromIso: string, toIso: string): Promise<LiveStats | undefined>;
  snapshotRules(): ReturnType<typeof snapshotRules>;
}

export class BacktestUnavailableError extends Error {}
/** The registry changed (or was already so) but a target did not take the publication. */
export class RulesPublishError extends Error {}

export function createRuleService(deps: RuleServiceDeps): RuleService {
  const { sql, now } = deps;
  const iso = () => new Date(now()).toISOString();
  const publish = async (): Promise<string[]> => {
    const sets = await activeRuleSets(sql);
    try {
      return await publishActive(sql, deps.target, iso(), { rules: sets });
    } catch (e) {
      throw new RulesPublishError(`${deps.target?.name ?? "snapshot"}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return {
    create: (rs, actor) => createRuleSet(sql, rs, actor, iso()),
    list: () => listRuleSets(sql),
    get: (v) => getRuleSet(sql, v),
    async move(version, to, actor) {
      const m = await moveRuleSet(sql, version, to, actor, iso());
      return { ...m, published_to: await publish() };
    },
    async stopShadow(actor) {
      const previous = await stopShadow(sql, actor, iso());
      return { previous_version: previous, published_to: previous === null ? [] : await publish() };
    },
    publish,
    async backtest(version, fromIso, toIso) {
      if (!deps.archive) throw new BacktestUnavailableError("no archive is configured in this process");
      const candidate = await loadRuleSet(sql, version);
      if (!candidate) throw new RuleSetNotFoundError(`unknown rule set ${version}`);
      const state = await ruleState(sql);
      const active = (state.active !== null ? await loadRuleSet(sql, state.active) : undefined) ?? defaultRuleSet();
      return backtestRuleSets(sql, deps.archive, { candidate, active, fromMs: Date.parse(fromIso), toMs: Date.parse(toIso) }, deps.rootPrefix);
    },
    async stats(version, fromIso, toIso) {
      if (!(await loadRuleSet(sql, version))) return undefined;
      return liveStats(sql, version, fromIso, toIso);
    },
    snapshotRules: () => snapshotRules(sql),
  };
}
