import { Hono } from "hono";
import { hasRole, requireRole, type OpsEnv } from "../http/auth.js";
import { addCaseNote, AssignRequestSchema, assignCase, NoteRequestSchema, releaseCase } from "./actions.js";
import { caseClock, refused } from "./refusals.js";
import type { CaseDeps } from "./deps.js";
import { invalid, parseRequest } from "../http/respond.js";
import { CaseParamsSchema } from "./review.js";

// Assign, release and annotate cases (analyst; admins may assign and release anyone's case).

export function caseRoutes(deps: CaseDeps): Hono<OpsEnv> {
  const app = new Hono<OpsEnv>();
  const analyst = requireRole(deps.auth, "analyst");
  const nowIso = () => new Date(deps.now()).toISOString();

  app.post("/v1/review/cases/:id/assign", analyst, async (c) => {
    const p = await parseRequest(c, "params", CaseParamsSchema);
    if (!p.ok) return p.response;
    const b = await parseRequest(c, "body", AssignRequestSchema);
    if (!b.ok) return b.response;
    // Only someone who can decide the case may hold it.
    const assignee = await deps.auth.principalNamed(b.value.assignee);
    if (!assignee || !hasRole(assignee, "analyst")) {
      return invalid([{ path: "assignee", message: "no live analyst or admin token has this name" }]);
    }
    const principal = c.get("principal");
    const r = await assignCase(deps.sql, p.value.id, { name: principal.name, admin: hasRole(principal, "admin") }, b.value, nowIso(), caseClock(deps));
    if (!r.ok) return refused(p.value.id, r.reason);
    deps.log.info("CASE_ASSIGNED", { case_id: p.value.id, by: principal.name, to: b.value.assignee });
    return c.json({ case: r.case });
  });

  app.post("/v1/review/cases/:id/release", analyst, async (c) => {
    const p = await parseRequest(c, "params", CaseParamsSchema);
    if (!p.ok) return p.response;
    const principal = c.get("principal");
    const r = await releaseCase(deps.sql, p.value.id, { name: principal.name, admin: hasRole(principal, "admin") }, nowIso(), caseClock(deps));
    if (!r.ok) return refused(p.value.id, r.reason);
    deps.log.info("CASE_RELEASED", { case_id: p.value.id, by: principal.name });
    return c.json({ case: r.case });
  });

  app.post("/v1/review/cases/:id/notes", analyst, async (c) => {
    const p = await parseRequest(c, "params", CaseParamsSchema);
    if (!p.ok) return p.response;
    const b = await parseRequest(c, "body", NoteRequestSchema);
    if (!b.ok) return b.response;
    const who = c.get("principal").name;
    const r = await addCaseNote(deps.sql, p.value.id, who, b.value.body, nowIso(), caseClock(deps));
    if (!r.ok) return refused(p.value.id, r.reason);
    // The note's text is case data, not log material: the log names the case, author and note id.
    deps.log.info("CASE_NOTE_ADDED", { case_id: p.value.id, by: who, note_id: r.note.note_id });
    return c.json({ case: r.case, note: r.note }, 201);
  });

  return app;
}
