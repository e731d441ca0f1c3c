import { DurableObject } from "cloudflare:workers";
import { CardWindow, decodeCardState, type Engine } from "../core/index.js";
import type { ScoreAnswer, ScoreItem, ScoreOutcome } from "../core/contracts/scoring.js";
import type { Decision, FeatureVector } from "../core/schemas.js";
import { decodeCardStateBinary, encodeCardStateBinary } from "../core/window/binary-codec.js";
import type { ScoredEvent } from "../core/schemas.js";
import type { Logger } from "../core/contracts/logger.js";
import { IDLE_TTL_MS, MAX_SEEN, SEEN_RETENTION_MS, scoreCardItems, type SeenEntry, type SeenLedger } from "../core/kernel/card-items.js";
import { resolveEngines, type EngineEnv } from "../core/kernel/engines.js";
import { defaultForwardContext, scoredEnvelope } from "../core/kernel/envelope.js";
import type { EngineRegistry } from "../core/kernel/registry.js";
import { OutboxSenders, outboxRetryMs, queueFor, type OutboxRow } from "./outbox.js";
import { MAX_MESSAGE_BYTES, queueSize, type SizedRecord } from "./queue-sender.js";

// One Durable Object per card hash. It owns the card's window state and scores that card's events
// one at a time: state is read from memory, scored, applied and written to SQLite in one
// synchronous stretch (no await), so concurrent requests cannot interleave and lose an update.
// Forwarding is part of that commit: each newly scored event's envelope is an outbox row written
// in the same transaction as the state and the seen key. Rows are sent to the queue right after
// the commit and deleted once the queue accepted them; a failed send is retried on the next
// request and on an alarm (backoff 5 s … 10 min), so an event is never scored-but-unsent, and a
// re-sent duplicate of an unsent event gets it sent then.
//
// Reference data: the route reads it once per event (signals and the active rule set / model
// versions) and hands both to the object in each ScoreItem; the object never looks reference data
// up. What it still loads itself, through the registry its runtime wiring hands it, are the
// immutable artefacts those versions name (a rule set, a model file), once per version per
// isolate: they are too large to ride on every RPC (a model is tens of kilobytes, compiled once
// here and reused for every card), and a version's content never changes, so this is no second
// reading of anything the route read.

/**
 * The idle alarm is moved only when the deadline moved by more than this, so a busy card does not
 * rewrite it per event (alarm() re-checks the last activity, so an early alarm only reschedules).
 */
const ALARM_SLACK_MS = 86_400_000;
/** An outbox row waits at most this long for the alarm if its own send never finished (eviction, crash). */
const OUTBOX_ALARM_MS = 60_000;

// card.state holds core/window/binary-codec.ts's blob (a TEXT string from before: core's JSON codec,
// still read). seen keeps what a duplicate answer needs: the first decision and the payload's
// fingerprint, keyed by the idempotency key (edge/idempotency.ts; rows written before keys had a
// caller part hold the bare transaction id and fingerprint ''). features_json stays '' (a column of
// tables created earlier). outbox: the envelopes not yet accepted by the queue, in commit order.
const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS card (k INTEGER PRIMARY KEY CHECK (k = 0), state TEXT NOT NULL, last_activity_ms INTEGER NOT NULL)",
  "CREATE TABLE IF NOT EXISTS seen (transaction_id TEXT PRIMARY KEY, decision_json TEXT NOT NULL, features_json TEXT NOT NULL, event_ms INTEGER NOT NULL, fingerprint TEXT NOT NULL DEFAULT '')",
  "CREATE INDEX IF NOT EXISTS seen_event_ms ON seen (event_ms)",
  "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, zone TEXT NOT NULL, record_json TEXT NOT NULL, created_ms INTEGER NOT NULL)",
].join(";\n");

type SeenRow = { decision_json: string; fingerprint: string };
type Env = EngineEnv;

/**
 * What the runtime's wiring hands the object (edge/workers/card-state.ts on Workers): the engines
 * for the versions the route names, over the runtime's artefact source, and the logger made by
 * core's one factory. Given, not built here, so this folder imports core only.
 */
export interface CardStateWiring {
  engines: EngineRegistry;
  log: Logger;
}

/**
 * The CardState object without its wiring: the Workers adapter's subclass (exported as CardState,
 * the class_name wrangler.toml binds) passes a CardStateWiring built from its env.
 */
export class CardStateObject extends DurableObject<Env> {
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
  /** The outbox table, in memory (rows are few: sent right after their commit). */
  private outbox = new Map<number, OutboxRow>();
  private nextSeq = 1;
  /** Failed sends in a row, and when the next request may retry the unsent rows. */
  private sendFailures = 0;
  private retryAtMs = 0;
  private readonly senders = new OutboxSenders();
  private readonly engines: EngineRegistry;
  private readonly log: Logger;

  constructor(ctx: DurableObjectState, env: Env, wiring: CardStateWiring) {
    super(ctx, env);
    this.engines = wiring.engines;
    this.log = wiring.log;
    // SQLite storage is synchronous: the state is in memory before the first call is delivered.
    this.load();
  }

  private load(): void {
    const sql = this.ctx.storage.sql;
    // One look at the catalogue instead of a read that fails and is caught (an exception out of
    // SQLite costs more than this query): a new object, or one the idle alarm emptied, has no
    // tables, gets the schema and has nothing to read; one created before the outbox (or before
    // fingerprints) gets what it lacks.
    const tables = new Map<string, string>();
    for (const t of sql.exec<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('card', 'seen', 'outbox')")) {
      tables.set(t.name, t.sql);
    }
    // Not read back (getAlarm would hold the first call behind an async read): the first event of
    // this instance sets the alarm, later ones move it only when it is more than a day short.
    this.alarmAt = null;
    if (tables.size === 0) {
      sql.exec(SCHEMA);
      this.window = CardWindow.empty();
      this.lastActivityMs = 0;
      this.seenIds = new Set();
      this.seenCount = 0;
      this.oldestSeenMs = Infinity;
      this.outbox = new Map();
      return;
    }
    if (tables.size < 3) sql.exec(SCHEMA);
    const seen = tables.get("seen");
    // Tables created before fingerprints: add the column.
    if (seen !== undefined && !seen.includes("fingerprint")) sql.exec("ALTER TABLE seen ADD COLUMN fingerprint TEXT NOT NULL DEFAULT ''");
    const row = this.readCard();
    if (!row) this.window = CardWindow.empty();
    else this.window = typeof row.state === "string" ? decodeCardState(row.state) : decodeCardStateBinary(row.state);
    this.lastActivityMs = row?.last_activity_ms ?? 0;
  }

  private readCard(): { state: string | ArrayBuffer; last_activity_ms: number } | undefined {
    const row = this.ctx.storage.sql.exec<{ state: string | ArrayBuffer; last_activity_ms: number }>("SELECT state, last_activity_ms FROM card WHERE k = 0").next();
    this.loadSeen();
    this.loadOutbox();
    return row.done ? undefined : row.value;
  }

  private loadOutbox(): void {
    const rows = new Map<number, OutboxRow>();
    let max = 0;
    for (const r of this.ctx.storage.sql.exec<{ seq: number; zone: string; record_json: string }>("SELECT seq, zone, record_json FROM outbox ORDER BY seq")) {
      rows.set(r.seq, { seq: r.seq, zone: r.zone === "eu" ? "eu" : "default", record: JSON.parse(r.record_json) as ScoredEvent, size: queueSize(r.record_json), inflight: false });
      max = r.seq;
    }
    // Rows of a send still in flight keep their flag (a rollback reload must not send them twice).
    for (const [seq, row] of rows) if (this.outbox.get(seq)?.inflight) row.inflight = true;
    this.outbox = rows;
    this.nextSeq = Math.max(this.nextSeq, max + 1);
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

  /**
   * scoreEvents answering the decisions only (what the edge's answer needs): features, the model
   * vector and shadow results went into the outbox envelope and are not serialised back over RPC.
   */
  async answerEvents(items: ScoreItem[]): Promise<ScoreAnswer[]> {
    const outcomes = await this.scoreEvents(items);
    return outcomes.map((o): ScoreAnswer => (o.refused ? o : { decision: o.decision, duplicate: o.duplicate }));
  }

  /** Scores and applies the items in order; one outcome per item. Atomic: all applied (with their outbox rows) or none. */
  async scoreEvents(items: ScoreItem[]): Promise<ScoreOutcome[]> {
    const card = items[0]?.event.card_number_hash;
    if (items.some((i) => i.event.card_number_hash !== card)) throw new Error("scoreEvents: items of more than one card");
    // Engines (rule set / model versions) are resolved first; the state is not touched until the
    // synchronous section below, so this await cannot cause a lost update.
    const engines = await resolveEngines(items, this.engines);
    const now = Date.now();
    let result: { outcomes: ScoreOutcome[]; rows: OutboxRow[] };
    try {
      result = this.ctx.storage.transactionSync(() => this.applyAll(items, engines, now));
    } catch (err) {
      // Storage rolled back; the in-memory window may hold part of the batch, so reload it.
      this.load();
      throw err;
    }
    for (const r of result.rows) this.outbox.set(r.seq, r);
    // This call's rows go now; rows left by an earlier failed send go too once their retry is due
    // (a duplicate re-sent by the caller lands here and gets its unsent event out).
    const hadDuplicate = result.outcomes.some((o) => o.duplicate && !o.refused);
    const older = now >= this.retryAtMs || hadDuplicate ? [...this.outbox.values()].filter((r) => !r.inflight && !result.rows.includes(r)) : [];
    const sending = [...older, ...result.rows];
    // Not awaited: the answer does not wait for the queue (the row is durable; a failed send is
    // retried by the next request or the alarm). The send starts here, before the answer leaves.
    if (sending.length > 0) this.ctx.waitUntil(this.send(sending));
    await this.pushAlarm(now);
    return result.outcomes;
  }

  private applyAll(items: ScoreItem[], engines: Engine[], now: number): { outcomes: ScoreOutcome[]; rows: OutboxRow[] } {
    const sql = this.ctx.storage.sql;
    let newestMs = -Infinity;
    const read = (key: string): SeenEntry => {
      const row = sql.exec<SeenRow>("SELECT decision_json, fingerprint FROM seen WHERE transaction_id = ?", key).one();
      return { decision: JSON.parse(row.decision_json) as Decision, fingerprint: row.fingerprint };
    };
    const ledger: SeenLedger = {
      // Only a key known to be stored costs a read: nearly every event is new. A row written
      // before keys had a caller part is found by the bare transaction id.
      prior: (key, txId) => (this.seenIds.has(key) ? read(key) : key !== txId && this.seenIds.has(txId) ? read(txId) : undefined),
      record: (key, decision: Decision, _features: FeatureVector, eventMs, fingerprint) => {
        sql.exec("INSERT INTO seen (transaction_id, decision_json, features_json, event_ms, fingerprint) VALUES (?, ?, '', ?, ?)", key, JSON.stringify(decision), eventMs, fingerprint);
        this.seenIds.add(key);
        this.seenCount++;
        if (eventMs < this.oldestSeenMs) this.oldestSeenMs = eventMs;
        if (eventMs > newestMs) newestMs = eventMs;
      },
    };
    const { outcomes, fresh } = scoreCardItems(items, engines, this.window, ledger);
    const rows: OutboxRow[] = [];
    if (fresh > 0) {
      this.lastActivityMs = now;
      sql.exec(
        "INSERT INTO card (k, state, last_activity_ms) VALUES (0, ?, ?) ON CONFLICT (k) DO UPDATE SET state = excluded.state, last_activity_ms = excluded.last_activity_ms",
        encodeCardStateBinary(this.window),
        now,
      );
      this.pruneSeen(newestMs);
      const region = typeof this.env.REGION === "string" && this.env.REGION !== "" ? this.env.REGION : "unknown";
      outcomes.forEach((o, i) => {
        if (o.duplicate) return;
        const item = items[i] as ScoreItem;
        const ctx = item.forward ?? defaultForwardContext(region, now);
        const record = scoredEnvelope(item, o, ctx, now);
        const seq = this.nextSeq++;
        const json = JSON.stringify(record);
        sql.exec("INSERT INTO outbox (seq, zone, record_json, created_ms) VALUES (?, ?, ?, ?)", seq, ctx.zone, json, now);
        // The queue's size of the record is the row's JSON text: counted here, not serialised again to chunk the send.
        rows.push({ seq, zone: ctx.zone, record, size: queueSize(json), inflight: false });
      });
    }
    return { outcomes, rows };
  }

  /**
   * Sends rows to their queues; deletes each chunk's rows once the queue accepted it. True when
   * every row went. A failure leaves the rest in the outbox and brings the alarm forward.
   */
  private async send(rows: OutboxRow[]): Promise<boolean> {
    for (const r of rows) r.inflight = true;
    const groups = new Map<string, { queue: Queue<ScoredEvent>; rows: OutboxRow[] }>();
    const unroutable: OutboxRow[] = [];
    for (const r of rows) {
      const target = queueFor(this.env, r.zone, r.record.region);
      if (!target) {
        unroutable.push(r);
        continue;
      }
      const g = groups.get(target.name);
      if (g) g.rows.push(r);
      else groups.set(target.name, { queue: target.queue, rows: [r] });
    }
    let ok = unroutable.length === 0;
    if (!ok) this.log.error("OUTBOX_NO_QUEUE", { rows: unroutable.length, region: unroutable[0]?.record.region, zone: unroutable[0]?.zone });
    for (const [name, g] of groups) {
      const fit = g.rows.filter((r) => r.size <= MAX_MESSAGE_BYTES);
      if (fit.length < g.rows.length) {
        // No queue can ever carry such a record: logged loudly, dropped, never blocking the rest.
        const big = g.rows.filter((r) => r.size > MAX_MESSAGE_BYTES);
        for (const r of big) this.log.error("OUTBOX_RECORD_TOO_LARGE", { transaction_id: r.record.event.transaction_id, bytes: r.size });
        this.deleteRows(big);
      }
      // Rows this object commits while its send is in flight go together in its next sendBatch.
      const items: SizedRecord[] = fit.map((r) => ({ record: r.record, size: r.size }));
      let error: unknown;
      try {
        await this.senders.for(g.queue).send(items);
      } catch (err) {
        error = err;
      }
      // Rows the queue accepted leave the outbox (one statement); the rest wait for the retry.
      this.deleteRows(fit.filter((_, i) => items[i]?.accepted === true));
      const unsent = fit.filter((_, i) => items[i]?.accepted !== true);
      if (unsent.length > 0) {
        ok = false;
        for (const r of unsent) r.inflight = false;
        this.log.warn("OUTBOX_SEND_FAILED", { queue: name, rows: unsent.length, pending: this.outbox.size, error: error instanceof Error ? error.message.slice(0, 200) : "unknown" });
      }
    }
    for (const r of unroutable) r.inflight = false;
    if (ok) {
      this.sendFailures = 0;
      this.retryAtMs = 0;
      return true;
    }
    this.sendFailures++;
    const now = Date.now();
    this.retryAtMs = now + outboxRetryMs(this.sendFailures);
    if (this.alarmAt === null || this.alarmAt > this.retryAtMs) {
      this.alarmAt = this.retryAtMs;
      await this.ctx.storage.setAlarm(this.retryAtMs);
    }
    return false;
  }

  private deleteRows(rows: OutboxRow[]): void {
    if (rows.length === 0) return;
    const seqs = rows.map((r) => r.seq).sort((a, b) => a - b);
    const first = seqs[0] as number;
    const last = seqs[seqs.length - 1] as number;
    const sql = this.ctx.storage.sql;
    // Rows of one send are usually consecutive: one range statement; else one per row.
    if (last - first + 1 === seqs.length) sql.exec("DELETE FROM outbox WHERE seq BETWEEN ? AND ?", first, last);
    else for (const seq of seqs) sql.exec("DELETE FROM outbox WHERE seq = ?", seq);
    for (const r of rows) this.outbox.delete(r.seq);
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
    // Rows waiting: the alarm within OUTBOX_ALARM_MS (a send cut short by eviction is retried
    // then); else the idle deadline, moved only when more than a day short.
    if (this.outbox.size > 0) {
      const due = now + OUTBOX_ALARM_MS;
      if (this.alarmAt !== null && this.alarmAt <= due) return;
      this.alarmAt = due;
      await this.ctx.storage.setAlarm(due);
      return;
    }
    const due = now + IDLE_TTL_MS;
    if (this.alarmAt !== null && this.alarmAt >= due - ALARM_SLACK_MS) return;
    this.alarmAt = due;
    await this.ctx.storage.setAlarm(due);
  }

  /**
   * Outbox first: unsent rows are sent (a failure reschedules with backoff). Then idle
   * housekeeping on wall-clock time: forget a card nobody has used for IDLE_TTL_MS — never while
   * its outbox holds rows.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const waiting = [...this.outbox.values()].filter((r) => !r.inflight);
    if (waiting.length > 0 && !(await this.send(waiting))) return; // send() set the retry alarm
    if (this.outbox.size > 0) {
      // A send is in flight (started by a request): look again shortly.
      this.alarmAt = Date.now() + OUTBOX_ALARM_MS;
      await this.ctx.storage.setAlarm(this.alarmAt);
      return;
    }
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
    this.outbox = new Map();
    this.load();
  }

  /** Read-only view for tests and operators: counts only, no event data. */
  stats(): { eventCount: number; seen: number; lastActivityMs: number; lastEventMs: number | null; outbox: number } {
    return {
      outbox: this.outbox.size,
      eventCount: this.window.eventCount,
      seen: this.seenCount,
      lastActivityMs: this.lastActivityMs,
      lastEventMs: this.window.lastEventMs ?? null,
    };
  }
}
