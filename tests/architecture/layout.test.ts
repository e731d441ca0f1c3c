import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The layout rules of DESIGN.md, checked on the source itself: no import cycles between files,
// each top-level folder imports only what it may, and product code never reaches into test support.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const SKIP = new Set(["node_modules", ".git", ".cache", ".data", "dist", ".wrangler"]);

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) sources(p, out);
    else if (/\.(ts|mts)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const FILES = sources("");
const KNOWN = new Set(FILES);
const IMPORT = /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Relative imports of every file, resolved to repository paths. */
const GRAPH = new Map<string, string[]>(
  FILES.map((f) => {
    const deps: string[] = [];
    for (const m of readFileSync(join(ROOT, f), "utf8").matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? "";
      if (!spec.startsWith(".")) continue;
      const t = normalize(join(dirname(f), spec));
      const hit = [t, t.replace(/\.js$/, ".ts"), `${t}.ts`, join(t, "index.ts")].find((c) => KNOWN.has(c));
      if (hit) deps.push(hit);
    }
    return [f, deps];
  }),
);

/** Strongly connected components with more than one file (Tarjan). */
function cycles(): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of GRAPH.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const f of FILES) if (!index.has(f)) visit(f);
  return found;
}

/** Tests, their configs and benchmarks (dev tools that set up the same harnesses) may use test support. */
const isTest = (f: string) => /\.test\.ts$|_test\.ts$|^vitest\..*\.ts$|(^|\/)bench(\/|-)/.test(f) || f.startsWith("tests/");
const isSupport = (f: string) => f.split("/").includes("testing");
const top = (f: string) => f.split("/")[0] ?? "";
const edges = (pred: (from: string, to: string) => boolean) =>
  [...GRAPH].flatMap(([from, deps]) => deps.filter((to) => pred(from, to)).map((to) => `${from} → ${to}`));

describe("layout", () => {
  it("sees the repository (the scan is not empty)", () => {
    expect(FILES.length).toBeGreaterThan(200);
    expect(GRAPH.get("edge/workers/card-state.ts")).toContain("durable-objects/card-state.ts");
  });

  it("no file imports a file that imports it back", () => {
    expect(cycles()).toEqual([]);
  });

  it("core imports nothing outside core", () => {
    expect(edges((from, to) => top(from) === "core" && top(to) !== "core")).toEqual([]);
  });

  it("the aggregator imports nothing from edge/ or durable-objects/", () => {
    expect(edges((from, to) => top(from) === "aggregator" && (top(to) === "edge" || top(to) === "durable-objects"))).toEqual([]);
  });

  it("edge code reaches durable-objects/ only from the Workers adapter", () => {
    expect(edges((from, to) => top(from) === "edge" && !isTest(from) && top(to) === "durable-objects" && !from.startsWith("edge/workers/"))).toEqual([]);
  });

  it("durable-objects/ takes its port types from core, not from edge/ports", () => {
    expect(edges((from, to) => top(from) === "durable-objects" && to === "edge/ports.ts")).toEqual([]);
  });

  it("product code never imports test support (testing/ folders)", () => {
    expect(edges((from, to) => !isTest(from) && !isSupport(from) && isSupport(to))).toEqual([]);
  });

  it("the operator CLI lives outside tests/", () => {
    expect(KNOWN.has("cli/vigil.ts")).toBe(true);
    expect(edges((from, to) => top(from) === "cli" && !isTest(from) && top(to) === "tests")).toEqual([]);
  });
});

it("finds a planted cycle (the checker itself works)", () => {
  GRAPH.set("planted/a.ts", ["planted/b.ts"]);
  GRAPH.set("planted/b.ts", ["planted/a.ts"]);
  FILES.push("planted/a.ts", "planted/b.ts");
  try {
    expect(cycles()).toContainEqual(["planted/a.ts", "planted/b.ts"]);
  } finally {
    GRAPH.delete("planted/a.ts");
    GRAPH.delete("planted/b.ts");
    FILES.splice(FILES.indexOf("planted/a.ts"), 2);
  }
});

it("relative paths stay inside the repository", () => {
  expect(FILES.every((f) => !relative(ROOT, join(ROOT, f)).startsWith(".."))).toBe(true);
});
