import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseToml, type TomlTable } from "../testing/toml.js";

// The deployment shape of DESIGN.md "Regions and residency", checked on wrangler.toml itself:
// one CardState namespace worldwide (exactly one deployed owner, every region bound to it with
// script_name), per-region queues each with exactly one consumer, and residency settings that
// cannot differ between regions. `wrangler deploy --dry-run` per env is run by
// tests/conformance/wrangler-dry-run.int.test.ts (wrangler needs Node 22).

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const toml = parseToml(readFileSync(join(ROOT, "wrangler.toml"), "utf8"));

interface DoBinding { name: string; class_name: string; script_name?: string }
interface Producer { binding: string; queue: string }
interface Consumer { queue: string; dead_letter_queue?: string; max_retries?: number }

const table = (t: unknown): TomlTable => (t && typeof t === "object" && !Array.isArray(t) ? (t as TomlTable) : {});
const list = <T>(t: unknown): T[] => (Array.isArray(t) ? (t as T[]) : []);
const envs = table(toml.env);
const envNames = Object.keys(envs);

function view(e: TomlTable) {
  return {
    name: String(e.name ?? ""),
    main: String(e.main ?? toml.main),
    vars: table(e.vars),
    doBindings: list<DoBinding>(table(e.durable_objects).bindings),
    /** `migrations` is inherited from the top level unless the env sets it. */
    migrations: list<{ new_sqlite_classes?: string[]; new_classes?: string[] }>(e.migrations ?? toml.migrations),
    producers: list<Producer>(table(e.queues).producers),
    consumers: list<Consumer>(table(e.queues).consumers),
  };
}
const top = view(toml);
const deployed = Object.fromEntries(envNames.map((n) => [n, view(table(envs[n]))]));
const regions = envNames.filter((n) => deployed[n]?.main === toml.main);
const producer = (env: string, binding: string) => deployed[env]?.producers.find((p) => p.binding === binding)?.queue;

describe("wrangler.toml: regions and residency", () => {
  it("has the regional edges and the card-state owner as environments", () => {
    expect(regions.sort()).toEqual(["apac", "eu", "us"]);
    expect(envNames.sort()).toEqual(["apac", "eu", "state", "us"]);
    for (const r of regions) expect(deployed[r]?.name).toBe(`vigil-edge-${r}`);
  });

  it("exactly one deployed Worker owns the CardState namespace; every region binds it with script_name", () => {
    const owners = envNames.filter((n) => deployed[n]?.doBindings.some((b) => b.class_name === "CardState" && b.script_name === undefined));
    expect(owners).toEqual(["state"]);
    const owner = deployed.state;
    expect(owner?.name).toBe("vigil-card-state");
    expect(owner?.main).toBe("edge/workers/state-entry.ts");
    expect(owner?.migrations.flatMap((m) => [...(m.new_sqlite_classes ?? []), ...(m.new_classes ?? [])])).toEqual(["CardState", "DeadLetterBox"]);
    for (const r of regions) {
      const e = deployed[r];
      expect(e?.doBindings, r).toEqual([
        { name: "CARD_STATE", class_name: "CardState", script_name: "vigil-card-state" },
        // The region's parked dead letters (one DeadLetterBox per region, same owner).
        { name: "DEAD_LETTERS", class_name: "DeadLetterBox", script_name: "vigil-card-state" },
      ]);
      // No class of their own: an inherited migration would create a second, per-region namespace.
      expect(e?.migrations, r).toEqual([]);
    }
  });

  it("no queue has two consumers (top level and every environment together)", () => {
    const consumed = [...top.consumers, ...envNames.flatMap((n) => deployed[n]?.consumers ?? [])].map((c) => c.queue);
    expect(consumed.length).toBeGreaterThan(0);
    expect(consumed.filter((q, i) => consumed.indexOf(q) !== i)).toEqual([]);
  });

  it("every region consumes its own queue, with its own dead-letter queue, and produces to both", () => {
    const seen = new Set<string>();
    for (const r of regions) {
      const e = deployed[r];
      // The region's queue and its dead-letter queue, whose consumer parks letters (never strands them).
      expect(e?.consumers.map((c) => c.queue), r).toEqual([`vigil-scored-events-${r}`, `vigil-scored-events-${r}-dlq`]);
      const c = e?.consumers[0] as Consumer;
      expect(c.dead_letter_queue).toBe(`vigil-scored-events-${r}-dlq`);
      // Above the consumer's own FORWARD_MAX_ATTEMPTS (24): the hours-long backoff decides, not the platform.
      expect(c.max_retries).toBeGreaterThan(24);
      expect(producer(r, "SCORED_EVENTS")).toBe(c.queue);
      expect(producer(r, "DLQ")).toBe(c.dead_letter_queue);
      for (const q of [c.queue, c.dead_letter_queue as string]) {
        expect(seen.has(q), `${q} shared between regions`).toBe(false);
        seen.add(q);
      }
    }
  });

  it("every region sends EU-home cards' events to the EU queue", () => {
    for (const r of regions) expect(producer(r, "SCORED_EVENTS_EU"), r).toBe("vigil-scored-events-eu");
  });

  it("residency settings are the same in every region (a card is addressed by hash and zone)", () => {
    const bins = [top, ...regions.map((r) => deployed[r])].map((e) => e?.vars.EU_CARD_BINS);
    expect(new Set(bins).size).toBe(1);
    for (const r of regions) {
      expect(deployed[r]?.vars.EU_CARD_JURISDICTION, r).toBe("eu");
      expect(deployed[r]?.vars.REGION, r).toBe(r);
      expect(deployed[r]?.vars.DO_LOCATION_HINT, r).toMatch(/^(wnam|enam|sam|weur|eeur|apac|oc|afr|me)$/);
      expect(deployed[r]?.vars.CARD_STATE_JURISDICTION, r).toBeUndefined();
    }
    // Local workerd has no jurisdictions: the top level (wrangler dev, tests) says so explicitly.
    expect(top.vars.EU_CARD_JURISDICTION).toBe("none");
  });
});

describe("parseToml (test support)", () => {
  it("reads tables, arrays of tables, strings with # and escapes, numbers, booleans and arrays", () => {
    const t = parseToml('a = "x # not a comment" # comment\nb = 2\nc = true\nd = ["p", "q\\"r"]\ne = []\n[t.u]\nk = 1.5\n[[t.v]]\nn = 1\n[[t.v]]\nn = 2\n');
    expect(t).toEqual({ a: "x # not a comment", b: 2, c: true, d: ["p", 'q"r'], e: [], t: { u: { k: 1.5 }, v: [{ n: 1 }, { n: 2 }] } });
    expect(() => parseToml("a = 1\na = 2")).toThrow(/duplicate/);
    expect(() => parseToml("a = {x = 1}")).toThrow(/unsupported/);
  });
});
