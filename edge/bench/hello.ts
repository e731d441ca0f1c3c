import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";

// The baselines of `npm run bench:edge`, served by one worker in the same workerd as the edge:
// - hello-world: POST /v1/transactions/score answers a constant without reading the body, so the
//   ratio to it is the cost of everything the real edge does per request.
// - hello-do (platform floor of "one object per card"): POST /v1/hello-do/ping and
//   /v1/hello-do/write parse the same JSON body, take card_number_hash, address
//   idFromName(card_number_hash) in a trivial SQLite-backed Durable Object namespace (same storage
//   as CardState) and await one RPC call: `ping` returns at once (HelloDo: no SQL at all); `write`
//   (HelloDoWrite: CREATE TABLE IF NOT EXISTS in its constructor) inserts one small row with
//   ctx.storage.sql.exec. Neither checks the token: that is the edge's own cost.
// - opt-in, the platform work of an outbox object without its logic (same HelloDoWrite objects):
//   /v1/hello-do/alarm: the row inserted in a transactionSync and an alarm a minute ahead set once
//   per instance; /v1/hello-do/send: the row in a transactionSync and one sendBatch of the parsed
//   body (contentType json) to the same queue sink as the edge's, not awaited by the answer;
//   /v1/hello-do/outbox: both.

interface Env {
  HELLO_DO: DurableObjectNamespace<HelloDo>;
  HELLO_DO_WRITE: DurableObjectNamespace<HelloDoWrite>;
  SINK: Queue<unknown>;
}

export class HelloDo extends DurableObject<Env> {
  ping(): number {
    return 1;
  }
}

export class HelloDoWrite extends DurableObject<Env> {
  private n = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, tx TEXT NOT NULL, at_ms INTEGER NOT NULL)");
  }

  private alarmSet = false;

  write(tx: string): number {
    this.ctx.storage.sql.exec("INSERT INTO t (tx, at_ms) VALUES (?, ?)", tx, Date.now());
    return ++this.n;
  }

  /** The outbox object's platform work without its logic: a row in a transaction, then an alarm (once per instance) and/or a queue send. */
  async commit(tx: string, body: unknown, alarm: boolean, send: boolean): Promise<number> {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => this.ctx.storage.sql.exec("INSERT INTO t (tx, at_ms) VALUES (?, ?)", tx, now));
    if (send) this.ctx.waitUntil(this.env.SINK.sendBatch([{ body, contentType: "json" }]));
    if (alarm && !this.alarmSet) {
      this.alarmSet = true;
      await this.ctx.storage.setAlarm(now + 60_000);
    }
    return ++this.n;
  }

  override async alarm(): Promise<void> {
    this.alarmSet = false;
  }
}

type Body = { card_number_hash?: unknown; transaction_id?: unknown };

const app = new Hono<{ Bindings: Env }>();
app.get("/", (c) => c.text("hello"));
app.post("/v1/transactions/score", (c) => c.json({ hello: "world" }));
app.post("/v1/hello-do/ping", async (c) => {
  const body = await c.req.json<Body>();
  const ns = c.env.HELLO_DO;
  const n = await ns.get(ns.idFromName(String(body.card_number_hash))).ping();
  return c.json({ hello: "do", n });
});
app.post("/v1/hello-do/write", async (c) => {
  const body = await c.req.json<Body>();
  const ns = c.env.HELLO_DO_WRITE;
  const n = await ns.get(ns.idFromName(String(body.card_number_hash))).write(String(body.transaction_id));
  return c.json({ hello: "do", n });
});

// Opt-in variants: the write in a transactionSync plus an alarm, a queue send, or both ("outbox").
const COMMITS = { alarm: [true, false], send: [false, true], outbox: [true, true] } as const;
for (const [variant, [alarm, send]] of Object.entries(COMMITS)) {
  app.post(`/v1/hello-do/${variant}`, async (c) => {
    const body = await c.req.json<Body>();
    const ns = c.env.HELLO_DO_WRITE;
    const n = await ns.get(ns.idFromName(String(body.card_number_hash))).commit(String(body.transaction_id), body, alarm, send);
    return c.json({ hello: "do", n });
  });
}

export default app;
