import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

// The repository's import graph, read from the source text (no compiler: fast, and it sees type
// imports too, which count as arrows). Only relative imports are followed: packages are not ours.

const SKIP = new Set(["node_modules", ".git", ".cache", ".data", "dist", ".wrangler"]);
const IMPORT = /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

/** An arrow list per file: repository path → the repository paths it imports. */
export type Graph = Map<string, string[]>;

export function sources(root: string, dir = "", out: string[] = []): string[] {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) sources(root, p, out);
    else if (/\.(ts|mts)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

export function importGraph(root: string, files: readonly string[]): Graph {
  const known = new Set(files);
  return new Map(
    files.map((f) => {
      const deps: string[] = [];
      for (const m of readFileSync(join(root, f), "utf8").matchAll(IMPORT)) {
        const spec = m[1] ?? m[2] ?? m[3] ?? "";
        if (!spec.startsWith(".")) continue;
        const t = normalize(join(dirname(f), spec));
        const hit = [t, t.replace(/\.js$/, ".ts"), `${t}.ts`, join(t, "index.ts")].find((c) => known.has(c));
        if (hit) deps.push(hit);
      }
      return [f, deps];
    }),
  );
}

/** Strongly connected components with more than one node (Tarjan), each sorted. */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
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
    for (const w of graph.get(v) ?? []) {
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
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  return found;
}

/**
 * Folder cycles, printed with the file arrows that make them: `nodeOf` maps a file to its folder
 * node (undefined: not part of this view). One line per folder arrow inside a cycle, with up to
 * three of its file arrows, so a failure says which imports to move.
 */
export function folderCycles(arrows: ReadonlyArray<readonly [string, string]>, nodeOf: (file: string) => string | undefined): string[] {
  const folders = new Map<string, string[]>();
  const via = new Map<string, string[]>();
  for (const [from, to] of arrows) {
    const a = nodeOf(from);
    const b = nodeOf(to);
    if (a === undefined || b === undefined || a === b) continue;
    const deps = folders.get(a) ?? [];
    if (!deps.includes(b)) deps.push(b);
    folders.set(a, deps);
    const key = `${a} → ${b}`;
    via.set(key, [...(via.get(key) ?? []), `${from} → ${to}`]);
  }
  return cycles(folders).map((scc) => {
    const inside = new Set(scc);
    const lines = scc.flatMap((a) =>
      (folders.get(a) ?? [])
        .filter((b) => inside.has(b))
        .sort()
        .map((b) => {
          const files = via.get(`${a} → ${b}`) ?? [];
          return `  ${a} → ${b}: ${files.slice(0, 3).join(", ")}${files.length > 3 ? ` (+${files.length - 3} more)` : ""}`;
        }),
    );
    return `cycle ${scc.join(" ↔ ")}\n${lines.join("\n")}`;
  });
}
