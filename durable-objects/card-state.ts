import { DurableObject } from "cloudflare:workers";
import { CardWindow, decodeCardState, type Engine } from "../core/index.js";
import type { ScoreItem, ScoreOutcome } from "../core/contracts/scoring.js";
import type { Decision, FeatureVector } from "../core/schemas.js";
import { decodeCardStateBinary, encodeCardStateBinary } from "../core/window/binary-codec.js";
import { IDLE_TTL_MS, MAX_SEEN, SEEN_RETENTION_MS, scoreCardItems, type SeenLedger } from "../edge/scoring/card-items.js";
import { registryFromEnv, resolveEngines, type EngineEnv } from "../edge/scoring/engines.js";

// One Durable Object per card hash. It owns the card's window state and scores that card's events
// one at a time: state is read from memory, scored, applied and written to SQLite in one
// synchronous stretch (no await), so concurrent requests cannot interleave and lose an update.

/**
 * The idle alarm is moved only when the deadline moved by more than this, so a busy card does not
 * rewrite it per event (alarm() re-checks the last activity, so an early alarm only reschedules).
 */
const ALARM_SLACK_MS = 86_400_000;

// card.state holds core/window/binary-codec.ts's blob (a TEXT string from before: core's JSON codec,
// still read). seen keeps only what a duplicate answer needs: the first decision (features_json is
// '' since duplicates are not forwarded again; the column stays for tables created earlier).
const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS card (k INTEGER PRIMARY KEY CHECK (k = 0), state TEXT NOT NULL, last_activity_ms INTEGER NOT NULL)",
  "CREATE TABLE IF NOT EXISTS seen (transaction_id TEXT PRIMARY KEY, decision_json TEXT NOT NULL, features_json TEXT NOT NULL, event_ms INTEGER NOT NULL)",
  "CREATE INDEX IF NOT EXISTS seen_event_ms ON seen (event_ms)",
].join(";\n");

type SeenRow = { decision_json: string };

export class CardState extends DurableObject<EngineEnv> {
  private window: CardWindow = CardWindow.empty();
  /**
   * The seen table's transaction ids, in memory (≤ MAX_SEEN): a new id — nearly every event —
   * costs no SELECT; only a duplicate reads its row. Reloaded with the state after a rollback.
   */
  private seenIds = new Set<string>();
  private seenCount = 0;
  /** Oldest event time among the seen rows (Infinity: none): the retention delete runs only when it is due. */
  private oldestSeenMs = Infinity;
  private lastActivityMs = 0;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: EngineEnv) {
    super(ctx, env);
    // SQLite storage is synchronous: the state is in memory before the first call is delivered.
    this.load();
  }

  private load(): void {
    // Most loads find the tables: read first, create them only when a read fails (a new object,
    // or one the idle alarm emptied) instead of running the schema on every start.
    let row: { state: string | ArrayBuffer; last_activity_ms: number } | undefined;
    try {
      row = this.readCard();
    } catch {
      this.ctx.storage.sql.exec(SCHEMA);
      row = this.readCard();
    }
    if (!row) this.window = CardWindow.empty();
    else this.window = typeof row.state === "string" ? decodeCardState(row.state) : decodeCardStateBinary(row.state);
    this.lastActivityMs = row?.last_activity_ms ?? 0;
    // Not read back (getAlarm would hold the first call behind an async read): the first event of
    // this instance sets the alarm, later ones move it only when it is more than a day short.
    this.alarmAt = null;
  }

  private readCard(): { state: string | ArrayBuffer; last_activity_ms: number } | undefined {
    const row = this.ctx.storage.sql.exec<{ state: string | ArrayBuffer; last_activity_ms: number }>("SELECT state, last_activity_ms FROM card WHERE k = 0").next();
    this.loadSeen();
    return row.done ? undefined : row.value;
  }

  private loadSeen(): void {
    const ids = new Set<string>();
    let oldest = Infinity;
    for (const r of this.ctx.storage.sql.exec<{ transaction_id: string; event_ms: number }>("SELECT transaction_id, event_ms FROM seen")) {
      ids.add(r.transaction_id);
      if (r.event_ms < oldest) oldest = r.event_ms;
    }
    this.seenIds = ids;
    this.seenCount = ids.size;
    this.oldestSeenMs = oldest;
  }

  /** Scores and applies the items in order; one outcome per item. Atomic: all applied or none. */
  async scoreEvents(items: ScoreItem[]): Promise<ScoreOutcome[]> {
    const card = items[0]?.event.card_number_hash;
    if (items.some((i) => i.event.card_number_hash !== card)) throw new Error("scoreEvents: items of more than one card");
    // Engines (rule set / model versions) are resolved first; the state is not touched until the
    // synchronous section below, so this await cannot cause a lost update.
    const engines = await resolveEngines(items, registryFromEnv(this.env));
    const now = Date.now();
    let outcomes: ScoreOutcome[];
    try {
      outcomes = this.ctx.storage.transactionSync(() => this.applyAll(items, engines, now));
    } catch (err) {
      // Storage rolled back; the in-memory window may hold part of the batch, so reload it.
      this.load();
      throw err;
    }
    await this.pushAlarm(now);
    return outcomes;
  }

  private applyAll(items: ScoreItem[], engines: Engine[], now: number): ScoreOutcome[] {
    const sql = this.ctx.storage.sql;
    let newestMs = -Infinity;
    const ledger: SeenLedger = {
      // Only an id known to be stored costs a read: nearly every event is new.
      prior: (id) =>
        this.seenIds.has(id)
          ? { decision: JSON.parse(sql.exec<SeenRow>("SELECT decision_json FROM seen WHERE transaction_id = ?", id).one().decision_json) as Decision }
          : undefined,
      record: (id, decision: Decision, _features: FeatureVector, eventMs) => {
        sql.exec("INSERT INTO seen (transaction_id, decision_json, features_json, event_ms) VALUES (?, ?, '', ?)", id, JSON.stringify(decision), eventMs);
        this.seenIds.add(id);
        this.seenCount++;
        if (eventMs < this.oldestSeenMs) this.oldestSeenMs = eventMs;
        if (eventMs > newestMs) newestMs = eventMs;
      },
    };
    const { outcomes, fresh } = scoreCardItems(items, engines, this.window, ledger);
    if (fresh > 0) {
      this.lastActivityMs = now;
      sql.exec(
        "INSERT INTO card (k, state, last_activity_ms) VALUES (0, ?, ?) ON CONFLICT (k) DO UPDATE SET state = excluded.state, last_activity_ms = excluded.last_activity_ms",
        encodeCardStateBinary(this.window),
        now,
      );
      this.pruneSeen(newestMs);
    }
    return outcomes;
  }

  private pruneSeen(newestMs: number): void {
    const sql = this.ctx.storage.sql;
    const watermark = this.window.lastEventMs ?? newestMs;
    // Count and oldest time are kept in memory, so the usual event (nothing to forget) runs no
    // delete at all; after one, both are read again from the table.
    if (this.oldestSeenMs < watermark - SEEN_RETENTION_MS) {
      sql.exec("DELETE FROM seen WHERE event_ms < ?", watermark - SEEN_RETENTION_MS);
      this.loadSeen();
    }
    if (this.seenCount > MAX_SEEN) {
      sql.exec(
        "DELETE FROM seen WHERE transaction_id IN (SELECT transaction_id FROM seen ORDER BY event_ms ASC LIMIT ?)",
        this.seenCount - MAX_SEEN,
      );
      this.loadSeen();
    }
  }

  private async pushAlarm(now: number): Promise<void> {
    const due = now + IDLE_TTL_MS;
    if (this.alarmAt !== null && this.alarmAt >= due - ALARM_SLACK_MS) return;
    this.alarmAt = due;
    await this.ctx.storage.setAlarm(due);
  }

  /** Idle housekeeping on wall-clock time: forget a card nobody has used for IDLE_TTL_MS. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const idleUntil = this.lastActivityMs + IDLE_TTL_MS;
    if (this.lastActivityMs > 0 && idleUntil > now) {
      // Activity since the alarm was set (or an early wake-up): look again when the TTL is really up.
      this.alarmAt = idleUntil;
      await this.ctx.storage.setAlarm(idleUntil);
      return;
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.alarmAt = null;
    this.load();
  }

  /** Read-only view for tests and operators: counts only, no event data. */
  stats(): { eventCount: number; seen: number; lastActivityMs: number; lastEventMs: number | null } {
    return {
      eventCount: this.window.eventCount,
      seen: this.seenCount,
      lastActivityMs: this.lastActivityMs,
      lastEventMs: this.window.lastEventMs ?? null,
    };
  }
}
