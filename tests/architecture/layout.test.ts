import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cycles, folderCycles, importGraph, sources, type Graph } from "../testing/import-graph.js";
import { parseLayoutRules } from "../testing/layout-doc.js";

// The layout rules of docs/architecture.md (the project's own copy; the test reads its may-import
// and entry-point tables from it), checked on the source itself. Every rule is a function of the
// import graph, so each can be shown to fire on a planted violation.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const FILES = sources(ROOT);
const GRAPH = importGraph(ROOT, FILES);
const RULES = parseLayoutRules(readFileSync(join(ROOT, "docs/architecture.md"), "utf8"));

/** Tests, their configs and benchmarks (dev tools that set up the same harnesses) may use test support. */
const isTest = (f: string) => /\.test\.ts$|_test\.ts$|^vitest\..*\.ts$|(^|\/)bench(\/|-)/.test(f) || f.startsWith("tests/");
const isSupport = (f: string) => f.split("/").includes("testing");
/** Product code: what the folder rules are about (dev tools may import anything, but count for file cycles). */
const isProduct = (f: string) => !isTest(f) && !isSupport(f);
const top = (f: string) => f.split("/")[0] ?? "";
const under = (folder: string) => (f: string) => f.startsWith(`${folder}/`);

type Arrow = readonly [string, string];
const arrowsOf = (g: Graph): Arrow[] => [...g].flatMap(([from, deps]) => deps.map((to) => [from, to] as const));
const productArrows = (g: Graph) => arrowsOf(g).filter(([from]) => isProduct(from));
const show = (arrows: Arrow[]) => arrows.map(([from, to]) => `${from} → ${to}`);
const edges = (pred: (from: string, to: string) => boolean) => show(arrowsOf(GRAPH).filter(([f, t]) => pred(f, t)));

/** Fails with the offending arrows one a line, so the report reads as a to-do list. */
function none(found: string[], what: string): void {
  expect(found, `${what}:\n${found.join("\n")}`).toEqual([]);
}

const inside = (folder: string) => (f: string) => (under(folder)(f) ? (f.split("/")[1] ?? "") : undefined);

const rules = {
  topFolderCycles: (g: Graph) => folderCycles(productArrows(g), (f) => (f.includes("/") ? top(f) : undefined)),
  insideCycles: (folder: string) => (g: Graph) => folderCycles(productArrows(g), inside(folder)),
  mayImport: (g: Graph) =>
    productArrows(g).flatMap(([from, to]) => {
      const a = top(from);
      const b = top(to);
      if (a === b) return [];
      const allowed = RULES.mayImport.get(a);
      if (!allowed) return [`${from} → ${to} (folder ${a}/ is not in docs/architecture.md's may-import table)`];
      return allowed.has("*") || allowed.has(b) ? [] : [`${from} → ${to} (${a}/ may import ${[...allowed].map((x) => `${x}/`).join(", ") || "nothing outside itself"})`];
    }),
  runtimesApart: (g: Graph) =>
    show(productArrows(g).filter(([f, t]) => (under("edge/deno")(f) && under("edge/workers")(t)) || (under("edge/workers")(f) && under("edge/deno")(t)))),
  durableObjectsFromWorkersOnly: (g: Graph) => show(productArrows(g).filter(([f, t]) => under("edge")(f) && under("durable-objects")(t) && !under("edge/workers")(f))),
  cliThroughEntryPoints: (g: Graph) => {
    const entries = RULES.entryPoints.get("aggregator") ?? new Set<string>();
    return show(productArrows(g).filter(([f, t]) => under("cli")(f) && under("aggregator")(t) && !entries.has(t)));
  },
  nothingImportsInfra: (g: Graph) => show(productArrows(g).filter(([f, t]) => !under("infra")(f) && under("infra")(t))),
};

describe("layout", () => {
  it("sees the repository (the scan is not empty)", () => {
    expect(FILES.length).toBeGreaterThan(200);
    expect(GRAPH.get("edge/workers/card-state.ts")).toContain("durable-objects/card-state.ts");
  });

  it("reads the rules from docs/architecture.md", () => {
    expect([...RULES.mayImport.keys()]).toEqual(expect.arrayContaining(["core", "durable-objects", "edge", "aggregator", "cli", "infra", "tests"]));
    expect([...(RULES.mayImport.get("core") ?? [])]).toEqual(["core"]);
    expect(RULES.mayImport.get("tests")?.has("*")).toBe(true);
    expect(RULES.entryPoints.get("aggregator")?.has("aggregator/index.ts")).toBe(true);
  });

  it("no file imports a file that imports it back", () => {
    none(cycles(GRAPH).map((c) => c.join(" ↔ ")), "file cycles");
  });

  it("no folder cycles between top-level folders", () => {
    none(rules.topFolderCycles(GRAPH), "folder cycles between top-level folders");
  });

  it.each(["aggregator", "edge"])("no folder cycles inside %s/", (folder) => {
    none(rules.insideCycles(folder)(GRAPH), `folder cycles inside ${folder}/`);
  });

  it("product code imports only what docs/architecture.md's may-import table allows", () => {
    none(rules.mayImport(GRAPH), "arrows the may-import table does not allow");
  });

  it("core imports nothing outside core", () => {
    none(edges((from, to) => top(from) === "core" && top(to) !== "core"), "core/ importing outside core/");
  });

  it("the aggregator imports nothing from edge/ or durable-objects/", () => {
    none(edges((from, to) => top(from) === "aggregator" && (top(to) === "edge" || top(to) === "durable-objects")), "aggregator/ importing the edge");
  });

  it("edge code reaches durable-objects/ only from the Workers adapter", () => {
    none(rules.durableObjectsFromWorkersOnly(GRAPH), "edge/ importing durable-objects/ outside edge/workers/");
  });

  it("the Deno and Workers adapters never import each other", () => {
    none(rules.runtimesApart(GRAPH), "edge/deno ↔ edge/workers");
  });

  it("durable-objects/ takes its port types from core, not from edge/ports", () => {
    none(edges((from, to) => top(from) === "durable-objects" && to === "edge/ports.ts"), "durable-objects/ importing edge/ports.ts");
  });

  it("cli imports the aggregator only through its public entry points", () => {
    none(rules.cliThroughEntryPoints(GRAPH), "cli/ importing aggregator internals");
  });

  it("no product code outside infra/ imports infra/", () => {
    none(rules.nothingImportsInfra(GRAPH), "imports of infra/");
  });

  it("product code never imports test support (testing/ folders)", () => {
    none(edges((from, to) => isProduct(from) && isSupport(to)), "product code importing test support");
  });

  it("the operator CLI lives outside tests/", () => {
    expect(FILES).toContain("cli/vigil.ts");
    none(edges((from, to) => top(from) === "cli" && !isTest(from) && top(to) === "tests"), "cli/ importing tests/");
  });
});

/** The real graph plus planted files and arrows (planted files are product code unless named like tests). */
function planted(...arrows: Array<[string, string]>): Graph {
  const g: Graph = new Map([...GRAPH].map(([f, d]) => [f, [...d]]));
  for (const [from, to] of arrows) {
    g.set(from, [...(g.get(from) ?? []), to]);
    if (!g.has(to)) g.set(to, []);
  }
  return g;
}

describe("the checker itself works (planted violations)", () => {
  it("finds a planted file cycle", () => {
    expect(cycles(planted(["planted/a.ts", "planted/b.ts"], ["planted/b.ts", "planted/a.ts"]))).toContainEqual(["planted/a.ts", "planted/b.ts"]);
  });

  it("finds a planted cycle between top-level folders, naming the file arrows", () => {
    const found = rules.topFolderCycles(planted(["plantx/a.ts", "planty/b.ts"], ["planty/b.ts", "plantx/a.ts"])).join("\n");
    expect(found).toContain("plantx → planty: plantx/a.ts → planty/b.ts");
    expect(found).toContain("planty → plantx: planty/b.ts → plantx/a.ts");
  });

  it("ignores a folder cycle that only dev tools make", () => {
    const found = rules.topFolderCycles(planted(["plantx/a.test.ts", "planty/b.ts"], ["planty/b.ts", "plantx/a.ts"]));
    expect(found.filter((c) => c.includes("plantx"))).toEqual([]);
  });

  it.each(["aggregator", "edge"])("finds a planted folder cycle inside %s/", (folder) => {
    const found = rules.insideCycles(folder)(planted([`${folder}/plant-a/x.ts`, `${folder}/plant-b.ts`], [`${folder}/plant-b.ts`, `${folder}/plant-a/x.ts`])).join("\n");
    expect(found).toContain(`plant-a → plant-b.ts: ${folder}/plant-a/x.ts → ${folder}/plant-b.ts`);
  });

  it("finds an arrow the may-import table does not allow, and a folder the table does not know", () => {
    const found = rules.mayImport(planted(["core/plant.ts", "edge/app.ts"], ["plantz/a.ts", "core/schemas.ts"]));
    expect(found).toContain("core/plant.ts → edge/app.ts (core/ may import core/)");
    expect(found.some((v) => v.startsWith("plantz/a.ts → core/schemas.ts (folder plantz/ is not in"))).toBe(true);
  });

  it("finds the Deno adapter importing the Workers adapter and back", () => {
    const found = rules.runtimesApart(planted(["edge/deno/plant.ts", "edge/workers/plant.ts"], ["edge/workers/plant.ts", "edge/deno/plant.ts"]));
    expect(found).toEqual(expect.arrayContaining(["edge/deno/plant.ts → edge/workers/plant.ts", "edge/workers/plant.ts → edge/deno/plant.ts"]));
  });

  it("finds edge code outside edge/workers/ importing durable-objects/", () => {
    expect(rules.durableObjectsFromWorkersOnly(planted(["edge/routes/plant.ts", "durable-objects/card-state.ts"]))).toContain("edge/routes/plant.ts → durable-objects/card-state.ts");
  });

  it("finds cli importing an aggregator internal, and lets the entry point through", () => {
    const found = rules.cliThroughEntryPoints(planted(["cli/plant.ts", "aggregator/plant/inner.ts"], ["cli/plant.ts", "aggregator/index.ts"]));
    expect(found.filter((v) => v.startsWith("cli/plant.ts"))).toEqual(["cli/plant.ts → aggregator/plant/inner.ts"]);
  });

  it("finds product code importing infra/", () => {
    expect(rules.nothingImportsInfra(planted(["aggregator/plant.ts", "infra/plant.ts"]))).toContain("aggregator/plant.ts → infra/plant.ts");
  });
});

it("relative paths stay inside the repository", () => {
  expect(FILES.every((f) => !relative(ROOT, join(ROOT, f)).startsWith(".."))).toBe(true);
});
