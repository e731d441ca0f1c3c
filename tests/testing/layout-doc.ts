// Reads the layout rules out of docs/architecture.md, so the rules live in one place that people
// read and the architecture test obeys. The format is described at the top of that file: a table
// row's first cell is one backticked top-level folder, its last cell lists backticked top-level
// folders (or files), `*` for any; plain words are for people and ignored here.

export interface LayoutRules {
  /** Top-level folder (without slash) → the top-level folders its product code may import; "*" = any. */
  mayImport: Map<string, Set<string>>;
  /** Top-level folder → the files other folders may import it through. */
  entryPoints: Map<string, Set<string>>;
}

const ticks = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? "");
const folderOf = (token: string): string | undefined => /^([a-z][a-z0-9-]*)\/$/.exec(token)?.[1];

/** The body rows of the first table whose header row contains `header`, as trimmed cells. */
function table(markdown: string, header: string): string[][] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim().startsWith("|") && l.includes(header));
  if (start < 0) throw new Error(`docs/architecture.md has no table with a "${header}" column`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith("|")) break;
    rows.push(line.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim()));
  }
  return rows;
}

function keyed(rows: string[][], column: (row: string[]) => string, keep: (token: string) => string | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const row of rows) {
    const first = ticks(row[0] ?? "");
    const folder = first.length === 1 ? folderOf(first[0] ?? "") : undefined;
    if (folder === undefined) throw new Error(`docs/architecture.md: a row's first cell must be one backticked folder (got "${row[0] ?? ""}")`);
    out.set(folder, new Set(ticks(column(row)).flatMap((t) => keep(t) ?? [])));
  }
  return out;
}

export function parseLayoutRules(markdown: string): LayoutRules {
  return {
    mayImport: keyed(table(markdown, "may import"), (r) => r[r.length - 1] ?? "", (t) => (t === "*" ? "*" : folderOf(t))),
    entryPoints: keyed(table(markdown, "imported by other folders through"), (r) => r[1] ?? "", (t) => (/\.m?ts$/.test(t) ? t : undefined)),
  };
}
