import { Hono } from "hono";
import { hasRole, requireRole, type OpsEnv } from "../http/auth.js";
import { invalid, parseRequest, problem } from "../http/respond.js";
import { applyFeedback, FeedbackRequestSchema, labelHistory, MAX_FEEDBACK_BATCH } from "../risk/labels.js";
import { caseEvents, caseNotes, caseTransactions, decodeCursor, getCase, listCases, ListCasesQuerySchema, CaseParamsSchema } from "./review.js";
import { claimCase, decideCase, DecisionRequestSchema } from "./actions.js";
import { caseClock, refused } from "./refusals.js";
import { caseRoutes } from "./case-routes.js";
import type { CaseDeps } from "./deps.js";
import { listValueUnavailable, prepareCaseListAdd } from "./list-adds.js";
import type { ListEntry } from "../lists/lists.js";
import { TransactionParamsSchema } from "../http/schemas.js";

// Review queue, decisions and feedback labels. Reads need viewer; every change needs analyst,
// and is attributed to the token's name in the audit trail. Assign, release and notes: case-routes.ts.

export function reviewRoutes(deps: CaseDeps): Hono<OpsEnv> {
  const app = new Hono<OpsEnv>();
  const viewer = requireRole(deps.auth, "viewer");
  const analyst = requireRole(deps.auth, "analyst");
  const nowIso = () => new Date(deps.now()).toISOString();

  app.get("/v1/review/cases", viewer, async (c) => {
    const q = await parseRequest(c, "query", ListCasesQuerySchema);
    if (!q.ok) return q.response;
    const after = q.value.cursor === undefined ? undefined : decodeCursor(q.value.cursor, q.value.sort);
    if (q.value.cursor !== undefined && after === undefined) {
      return problem(400, "VALIDATION_FAILED", "query.cursor: not a cursor from a previous page of this sort", {
        issues: [{ path: "query.cursor", message: "not a cursor from a previous page of this sort" }],
      });
    }
    return c.json(await listCases(deps.sql, q.value, after, caseClock(deps)));
  });

  app.get("/v1/review/cases/:id", viewer, async (c) => {
    const p = await parseRequest(c, "params", CaseParamsSchema);
    if (!p.ok) return p.response;
    const found = await getCase(deps.sql, p.value.id, caseClock(deps));
    if (!found) return problem(404, "NOT_FOUND", `no case ${p.value.id}`);
    const [transactions, notes, events] = await Promise.all([
      caseTransactions(deps.sql, p.value.id),
      caseNotes(deps.sql, p.value.id),
      caseEvents(deps.sql, p.value.id),
    ]);
    return c.json({ case: found, transactions, notes, events });
  });

  app.post("/v1/review/cases/:id/claim", analyst, async (c) => {
    const p = await parseRequest(c, "params", CaseParamsSchema);
    if (!p.ok) return p.response;
    const who = c.get("principal").name;
    const r = await claimCase(deps.sql, p.value.id, who, nowIso(), caseClock(deps));
    if (!r.ok) return refused(p.value.id, r.reason);
    deps.log.info("CASE_CLAIMED", { case_id: p.value.id, by: who });
    return c.json({ case: r.case });
  });

  app.post("/v1/review/cases/:id/decision", analyst, async (c) => {
    const p = await parseRequest(c, "params", CaseParamsSchema);
    if (!p.ok) return p.response;
    const b = await parseRequest(c, "body", DecisionRequestSchema);
    if (!b.ok) return b.response;
    const principal = c.get("principal");
    // Optional add_to_list (the lists' part): checked first, written in the decision's transaction.
    const add = b.value.add_to_list;
    const prep = add ? await prepareCaseListAdd(add, (await getCase(deps.sql, p.value.id, caseClock(deps)))?.transaction_id, deps.verdicts, deps.now()) : undefined;
    if (prep && !prep.ok) return invalid(prep.issues);
    let listed: ListEntry | undefined;
    const also = prep ? async (tx: Parameters<typeof prep.write>[0], cs: Parameters<typeof prep.write>[1]) => {
      listed = await prep.write(tx, cs, b.value, principal.name, nowIso());
    } : undefined;
    const actor = { name: principal.name, admin: hasRole(principal, "admin") };
    let r: Awaited<ReturnType<typeof decideCase>>;
    try {
      r = await decideCase(deps.sql, p.value.id, actor, b.value, nowIso(), caseClock(deps), also);
    } catch (e) {
      const missing = listValueUnavailable(e);
      if (missing) return problem(409, "LIST_VALUE_UNAVAILABLE", missing.message);
      throw e;
    }
    if (!r.ok) return refused(p.value.id, r.reason);
    deps.log.info("CASE_DECIDED", { case_id: p.value.id, by: principal.name, decision: b.value.decision, transactions: r.labels.length });
    for (const o of ["CREATED", "UPDATED", "UNCHANGED"] as const) {
      deps.metrics?.labels(o === "CREATED" ? "created" : o === "UPDATED" ? "updated" : "unchanged", r.labels.filter((l) => l.outcome === o).length);
    }
    deps.riskJob.trigger();
    if (listed) deps.log.info("LIST_ENTRIES_WRITTEN", { list: listed.list, by: principal.name, source: `case:${p.value.id}` });
    return c.json({ case: r.case, label_version: r.label_version, labels: r.labels, ...(listed ? { list_entry: listed } : {}) });
  });

  app.post("/v1/feedback", analyst, async (c) => {
    const b = await parseRequest(c, "body", FeedbackRequestSchema);
    if (!b.ok) return b.response;
    const who = c.get("principal").name;
    const r = await applyFeedback(deps.sql, b.value.labels, who, new Date((deps.learningNow ?? deps.now)()).toISOString());
    deps.log.info("FEEDBACK_APPLIED", { by: who, created: r.created, updated: r.updated, unchanged: r.unchanged });
    deps.metrics?.labels("created", r.created);
    deps.metrics?.labels("updated", r.updated);
    deps.metrics?.labels("unchanged", r.unchanged);
    if (r.created + r.updated > 0) deps.riskJob.trigger();
    return c.json({ ...r, max_batch: MAX_FEEDBACK_BATCH });
  });

  app.get("/v1/transactions/:transaction_id/labels", viewer, async (c) => {
    const p = await parseRequest(c, "params", TransactionParamsSchema);
    if (!p.ok) return p.response;
    return c.json({ transaction_id: p.value.transaction_id, labels: await labelHistory(deps.sql, p.value.transaction_id) });
  });

  app.route("/", caseRoutes(deps));
  return app;
}
