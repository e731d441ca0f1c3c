import { Hono, type Context } from "hono";
import { parseWith } from "../../core/schemas.js";
import { requireRole, type OpsEnv, type TokenAuth } from "../http/auth.js";
import type { Logger } from "../../core/contracts/logger.js";
import type { OpsSql } from "../ports/index.js";
import type { RiskJob } from "../risk/job.js";
import { invalid, parseRequest, problem } from "../http/respond.js";
import {
  checkEntries,
  deleteListEntry,
  ListBatchSchema,
  ListDeleteQuerySchema,
  ListEntryInputSchema,
  listEntries,
  ListParamsSchema,
  ListQuerySchema,
  writeListEntries,
  type ListEntryInput,
} from "./lists.js";

// Allow and block lists: analysts read and write them (the same role that decides cases, which
// can add to a list in the decision), every change attributed to the token's name and audited.
// A change publishes to the edge through the risk job's publish (lists-publish.ts).

/** What the list routes are built from (the ops API passes its whole deps object). */
export interface ListRouteDeps {
  sql: OpsSql;
  auth: TokenAuth;
  /** Re-run after a change, so the edge gets the lists with the next publication. */
  riskJob: Pick<RiskJob, "trigger">;
  now: () => number;
  log: Pick<Logger, "info">;
}

export function listRoutes(deps: ListRouteDeps): Hono<OpsEnv> {
  const app = new Hono<OpsEnv>();
  const analyst = requireRole(deps.auth, "analyst");
  const nowIso = () => new Date(deps.now()).toISOString();

  app.get("/v1/lists/:list/entries", analyst, async (c) => {
    const p = await parseRequest(c, "params", ListParamsSchema);
    if (!p.ok) return p.response;
    const q = await parseRequest(c, "query", ListQuerySchema);
    if (!q.ok) return q.response;
    return c.json(await listEntries(deps.sql, p.value.list, q.value, nowIso()));
  });

  app.post("/v1/lists/:list/entries", analyst, async (c) => {
    const p = await parseRequest(c, "params", ListParamsSchema);
    if (!p.ok) return p.response;
    const body = await readEntries(c);
    if (!body.ok) return body.response;
    const issues = checkEntries(p.value.list, body.entries, deps.now(), body.prefix);
    if (issues.length > 0) return invalid(issues);
    const who = c.get("principal").name;
    const source = c.req.header("x-vigil-source") === "import" ? "import" : "api";
    const r = await writeListEntries(deps.sql, p.value.list, body.entries, { name: who, source }, nowIso());
    deps.log.info("LIST_ENTRIES_WRITTEN", { list: r.list, by: who, source, created: r.created, updated: r.updated, unchanged: r.unchanged });
    if (r.created + r.updated > 0) deps.riskJob.trigger();
    return c.json(r, r.created > 0 ? 201 : 200);
  });

  app.delete("/v1/lists/:list/entries", analyst, async (c) => {
    const p = await parseRequest(c, "params", ListParamsSchema);
    if (!p.ok) return p.response;
    const q = await parseRequest(c, "query", ListDeleteQuerySchema);
    if (!q.ok) return q.response;
    const who = c.get("principal").name;
    const gone = await deleteListEntry(deps.sql, p.value.list, q.value.value, { name: who, source: "api" }, nowIso());
    if (!gone) return problem(404, "NOT_FOUND", `no entry ${q.value.value} in ${p.value.list}`);
    deps.log.info("LIST_ENTRY_DELETED", { list: p.value.list, by: who });
    deps.riskJob.trigger();
    return c.json({ list: p.value.list, deleted: gone });
  });

  return app;
}

type Entries = { ok: true; entries: ListEntryInput[]; prefix: (i: number) => string } | { ok: false; response: Response };

/** One entry, or `{entries: [...]}`: the body's shape picks the schema, so issues name exact fields. */
async function readEntries(c: Context): Promise<Entries> {
  let input: unknown;
  try {
    input = await c.req.json();
  } catch {
    return { ok: false, response: invalid([{ path: "(body)", message: "not valid JSON" }]) };
  }
  if (typeof input === "object" && input !== null && "entries" in input) {
    const r = parseWith(ListBatchSchema, input);
    return r.ok ? { ok: true, entries: r.value.entries, prefix: (i) => `entries.${i}.` } : { ok: false, response: invalid(r.issues) };
  }
  const r = parseWith(ListEntryInputSchema, input);
  return r.ok ? { ok: true, entries: [r.value], prefix: () => "" } : { ok: false, response: invalid(r.issues) };
}
