// A minimal TOML reader for the shapes wrangler.toml uses: comments, [table] and [[array.of.tables]]
// headers with dotted bare keys, `key = value` with basic strings, integers, floats, booleans and
// one-line arrays of those. Anything else throws naming the line (no TOML package is installed and
// wrangler's bundled parser is not exported; this is test support only).

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\" && inString) i++;
    else if (c === '"') inString = !inString;
    else if (c === "#" && !inString) return line.slice(0, i);
  }
  return line;
}

function parseValue(text: string, where: string): TomlValue {
  const t = text.trim();
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) throw new Error(`${where}: unterminated string`);
    return JSON.parse(t) as string;
  }
  if (t === "true" || t === "false") return t === "true";
  if (/^[+-]?\d[\d_]*(\.\d+)?$/.test(t)) return Number(t.replaceAll("_", ""));
  if (t.startsWith("[") && t.endsWith("]")) {
    const inner = t.slice(1, -1).trim();
    if (inner === "") return [];
    const items: string[] = [];
    let cur = "";
    let inString = false;
    for (let i = 0; i < inner.length; i++) {
      const c = inner[i] ?? "";
      if (c === "\\" && inString) {
        cur += c + (inner[++i] ?? "");
        continue;
      }
      if (c === '"') inString = !inString;
      if (c === "," && !inString) {
        items.push(cur);
        cur = "";
      } else cur += c;
    }
    if (cur.trim() !== "") items.push(cur);
    return items.map((v) => parseValue(v, where));
  }
  throw new Error(`${where}: unsupported value ${t}`);
}

function descend(root: TomlTable, path: string[], where: string): TomlTable {
  let t = root;
  for (const k of path) {
    let next = t[k];
    if (next === undefined) t[k] = next = {};
    if (Array.isArray(next)) next = next[next.length - 1];
    if (typeof next !== "object" || next === null || Array.isArray(next)) throw new Error(`${where}: ${k} is not a table`);
    t = next;
  }
  return t;
}

export function parseToml(text: string): TomlTable {
  const root: TomlTable = {};
  let current = root;
  text.split(/\r?\n/).forEach((raw, n) => {
    const where = `line ${n + 1}`;
    const line = stripComment(raw).trim();
    if (line === "") return;
    const arrayHeader = /^\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]$/.exec(line);
    const header = /^\[\s*([A-Za-z0-9_.-]+)\s*\]$/.exec(line);
    if (arrayHeader?.[1]) {
      const path = arrayHeader[1].split(".");
      const last = path.pop() as string;
      const parent = descend(root, path, where);
      const list = (parent[last] ??= []);
      if (!Array.isArray(list)) throw new Error(`${where}: ${last} is not an array of tables`);
      const table: TomlTable = {};
      list.push(table);
      current = table;
      return;
    }
    if (header?.[1]) {
      current = descend(root, header[1].split("."), where);
      return;
    }
    const kv = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line);
    if (!kv?.[1] || kv[2] === undefined) throw new Error(`${where}: cannot read ${line}`);
    if (kv[1] in current) throw new Error(`${where}: duplicate key ${kv[1]}`);
    current[kv[1]] = parseValue(kv[2], where);
  });
  return root;
}
