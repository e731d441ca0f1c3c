import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The documentation names files and folders; when code moves, the names must move with it. Every
// backticked repository path (`edge/workers/entry.ts`, `core/kernel/`) and every relative link in
// the READMEs, core/SCORING.md and docs/architecture.md must exist. docs/benchmarks.md is left out
// on purpose: its history rows name the files as they were when the figure was measured.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const TOP = /^(core|edge|durable-objects|aggregator|cli|infra|tests|docs)\/[A-Za-z0-9_./-]*$/;

const SKIP = new Set(["node_modules", ".git", ".cache", ".data", "dist", ".wrangler"]);

function markdownFiles(dir = "", out: string[] = []): string[] {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) markdownFiles(p, out);
    else if (e.name === "README.md" || p === "core/SCORING.md" || p === "docs/architecture.md") out.push(p);
  }
  return out;
}

const DOCS = markdownFiles();

/** Backticked repository paths and relative link targets of one markdown file that do not exist. */
function missing(doc: string): string[] {
  const text = readFileSync(join(ROOT, doc), "utf8");
  const named = [...text.matchAll(/`([^`\s]+)`/g)].map((m) => (m[1] ?? "").replace(/[:#].*$/, "")).filter((p) => TOP.test(p) && !p.includes(".."));
  const linked = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? "")
    .filter((href) => !/^[a-z]+:|^#/.test(href))
    .map((href) => join(dirname(doc), href.replace(/#.*$/, "")));
  return [...new Set([...named, ...linked])].filter((p) => !existsSync(join(ROOT, p))).map((p) => `${doc}: ${p}`);
}

describe("paths named in the documentation exist", () => {
  it("finds the documents", () => {
    expect(DOCS).toEqual(expect.arrayContaining(["README.md", "core/SCORING.md", "docs/architecture.md", "infra/README.md"]));
  });

  it.each(DOCS)("%s", (doc) => {
    const gone = missing(doc);
    expect(gone, `paths that do not exist:\n${gone.join("\n")}`).toEqual([]);
  });
});
