import type { CaseRefusal } from "./actions.js";
import type { CaseDeps } from "./deps.js";
import { problem } from "../http/respond.js";
import { DEFAULT_SLA_HOURS, type CaseClock } from "./review.js";

// How the case routes answer a refused action, and the clock (now, SLA) cases are shown with.

export const CASE_REFUSALS: Record<Exclude<CaseRefusal, "NOT_FOUND">, { status: 403 | 409; message: string }> = {
  CLAIMED_BY_OTHER: { status: 409, message: "case is assigned to another analyst" },
  ALREADY_DECIDED: { status: 409, message: "case is already decided" },
  CASE_MERGED: { status: 409, message: "case was merged into the card's other case (see merged_into)" },
  NOT_CLAIMED: { status: 409, message: "the case is not assigned: claim it first" },
  NOT_CLAIMANT: { status: 403, message: "only the assignee (or an admin) can do this" },
  ASSIGNEE_CHANGED: { status: 409, message: "the case's assignee is no longer expected_assignee" },
  CASE_CHANGED: { status: 409, message: "the case holds other transactions than transaction_ids: review it again" },
};

/** The answer to a refused case action: 404, or 403/409 with the refusal's code. */
export function refused(caseId: number, reason: CaseRefusal) {
  if (reason === "NOT_FOUND") return problem(404, "NOT_FOUND", `no case ${caseId}`);
  const r = CASE_REFUSALS[reason];
  return problem(r.status, reason, r.message);
}

export function caseClock(deps: CaseDeps): CaseClock {
  return { nowMs: deps.now(), slaHours: deps.cases?.slaHours ?? DEFAULT_SLA_HOURS };
}
