import { AssignRequestSchema, DecisionRequestSchema, NoteRequestSchema } from "../cases/actions.js";
import { ListCasesQuerySchema, CaseParamsSchema } from "../cases/review.js";
import { CaseDetailResponseSchema, CaseListResponseSchema, CaseResponseSchema, DecisionResponseSchema, NoteResponseSchema } from "../ops/schemas.js";
import type { ResponseDoc, RouteDoc } from "./builder.js";

// The review queue's routes (cases per card: list, detail, claim, assign, release, notes,
// decision), spliced into AGGREGATOR_ROUTES; the shared answer shapes come from there.

export interface DocHelpers {
  err(description: string): ResponseDoc;
  authErrors: Record<number, ResponseDoc>;
  bad: Record<number, ResponseDoc>;
  ops(role: "viewer" | "analyst" | "admin"): { security: string[]; description: string };
}

export function caseRoutes({ err, authErrors, bad, ops }: DocHelpers): RouteDoc[] {
  const notFound = { 404: err("no such case") };
  const notAssignee = { 403: err("role too low, or NOT_CLAIMANT: only the assignee (or an admin) may do this") };
  const tags = ["review"];
  return [
    {
      method: "get", path: "/v1/review/cases", operationId: "listReviewCases", tags, ...ops("viewer"),
      summary: "Review queue: one case per card and flagged (REVIEW or BLOCKED) spell, with priority, age and SLA; keyset pagination via next_cursor",
      description: "Requires role viewer or higher. `status` defaults to OPEN, or to CLAIMED when `assignee` is given. `sort`: priority (default, highest first), age (oldest first), score (highest max_fraud_score first); a cursor only continues the sort it came from.",
      query: ListCasesQuerySchema,
      responses: { 200: { description: "one page", schema: CaseListResponseSchema }, ...bad, ...authErrors },
    },
    {
      method: "get", path: "/v1/review/cases/{id}", operationId: "getReviewCase", tags, ...ops("viewer"),
      summary: "One case with its transactions, notes and audit trail", params: CaseParamsSchema,
      responses: { 200: { description: "case, transactions, notes, events", schema: CaseDetailResponseSchema }, ...bad, ...authErrors, ...notFound },
    },
    {
      method: "post", path: "/v1/review/cases/{id}/claim", operationId: "claimReviewCase", tags, ...ops("analyst"),
      summary: "Take an OPEN case (atomic: of concurrent claims exactly one wins); claiming your own case again is a no-op", params: CaseParamsSchema,
      responses: { 200: { description: "claimed", schema: CaseResponseSchema }, ...bad, ...authErrors, ...notFound, 409: err("CLAIMED_BY_OTHER, ALREADY_DECIDED or CASE_MERGED") },
    },
    {
      method: "post", path: "/v1/review/cases/{id}/assign", operationId: "assignReviewCase", tags, ...ops("analyst"),
      summary: "Assign or reassign (atomic). Admins: any undecided case to anyone; analysts: take an OPEN case or hand over their own. `expected_assignee` makes it a compare-and-set",
      params: CaseParamsSchema, body: AssignRequestSchema,
      responses: {
        200: { description: "assigned (assigning to the current assignee is a no-op)", schema: CaseResponseSchema },
        400: err("invalid input, or the assignee is not a live analyst or admin token name"),
        ...authErrors, ...notAssignee, ...notFound,
        409: err("CLAIMED_BY_OTHER, ASSIGNEE_CHANGED, ALREADY_DECIDED or CASE_MERGED"),
      },
    },
    {
      method: "post", path: "/v1/review/cases/{id}/release", operationId: "releaseReviewCase", tags, ...ops("analyst"),
      summary: "Put a case back in the queue (assignee or admin)", params: CaseParamsSchema,
      responses: { 200: { description: "released (OPEN, unassigned)", schema: CaseResponseSchema }, ...bad, ...authErrors, ...notAssignee, ...notFound, 409: err("NOT_CLAIMED, ALREADY_DECIDED or CASE_MERGED") },
    },
    {
      method: "post", path: "/v1/review/cases/{id}/notes", operationId: "addReviewCaseNote", tags, ...ops("analyst"),
      summary: "Add a note to an OPEN or CLAIMED case (any analyst); audited as a NOTE event", params: CaseParamsSchema, body: NoteRequestSchema,
      responses: { 201: { description: "stored", schema: NoteResponseSchema }, ...bad, ...authErrors, ...notFound, 409: err("ALREADY_DECIDED or CASE_MERGED") },
    },
    {
      method: "post", path: "/v1/review/cases/{id}/decision", operationId: "decideReviewCase", tags, ...ops("analyst"),
      summary: "Close a case FRAUD or LEGIT (assignee or admin); writes an audited ANALYST label for every transaction of the case and, with add_to_list, a list entry, all in one transaction",
      params: CaseParamsSchema, body: DecisionRequestSchema,
      responses: {
        200: { description: "decided", schema: DecisionResponseSchema }, ...bad, ...authErrors, ...notAssignee, ...notFound,
        409: err("NOT_CLAIMED, ALREADY_DECIDED, CASE_MERGED, CASE_CHANGED (transaction_ids no longer match), or LIST_VALUE_UNAVAILABLE (add_to_list: the case has no such value)"),
      },
    },
  ];
}
