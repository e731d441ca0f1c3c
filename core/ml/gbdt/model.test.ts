import { describe, expect, it } from "vitest";
import { compileGbdt } from "./compiled.js";
import { randomGbdtModel } from "../../testing/gbdt-models.js";
import { GbdtModelSchema } from "./model.js";
import { serializeGbdt } from "./serialize.js";

describe("GBDT model schema", () => {
  it("accepts a valid model and round-trips through its canonical JSON", () => {
    const m = randomGbdtModel(1, { trees: 5, depth: 3, features: 4 });
    expect(GbdtModelSchema.safeParse(m).success).toBe(true);
    const text = serializeGbdt(m);
    const parsed = GbdtModelSchema.parse(JSON.parse(text));
    expect(serializeGbdt(parsed)).toBe(text);
  });

  it("rejects a child index that points backwards, naming the path", () => {
    const m = randomGbdtModel(1, { trees: 3, depth: 3, features: 4, earlyLeaf: 0 });
    const split = 2; // a split at depth 1 of a full tree
    m.trees[1]!.l[split] = 1;
    const r = GbdtModelSchema.safeParse(m);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["trees", 1, "l", split]);
    expect(() => compileGbdt(m)).toThrow(/child index/);
  });

  it("rejects a node with two parents, a feature index out of range and mismatched lengths", () => {
    const shared = randomGbdtModel(2, { trees: 1, depth: 2, features: 4, earlyLeaf: 0 });
    const t = shared.trees[0]!;
    t.l[2] = t.l[1]!; // both depth-1 nodes claim the same children
    expect(GbdtModelSchema.safeParse(shared).error?.issues[0]?.message).toMatch(/parents/);

    const wide = randomGbdtModel(2, { trees: 1, depth: 2, features: 4 });
    wide.trees[0]!.f[0] = 9;
    expect(GbdtModelSchema.safeParse(wide).error?.issues[0]?.path).toEqual(["trees", 0, "f", 0]);

    const deep = randomGbdtModel(2, { trees: 1, depth: 3, features: 4, earlyLeaf: 0 });
    deep.params.max_depth = 2;
    expect(GbdtModelSchema.safeParse(deep).error?.issues[0]?.message).toMatch(/deeper than/);

    const short = randomGbdtModel(2, { trees: 1, depth: 2, features: 4 });
    short.trees[0]!.c.pop();
    expect(GbdtModelSchema.safeParse(short).error?.issues[0]?.path).toEqual(["trees", 0, "c"]);
  });

  it("rejects block below review and an unknown format version", () => {
    const m = randomGbdtModel(3, { trees: 1, depth: 2, features: 2 });
    expect(GbdtModelSchema.safeParse({ ...m, thresholds: { review: 60, block: 40, review_source: "config", block_source: "config" } }).success).toBe(false);
    expect(GbdtModelSchema.safeParse({ ...m, format_version: 2 }).success).toBe(false);
  });
});
