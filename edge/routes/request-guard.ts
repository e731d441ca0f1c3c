import { findCardNumberInRequest, safeRequestPath } from "../../core/pan-guard.js";
import { edgeError } from "../errors.js";

// The PAN guard over what is not the body: the path, the query string and the headers. Runs
// before auth and routing, so a card number in X-Request-Id, a query parameter or a path is
// refused before anything echoes or logs it.

/** Throws 400 CARD_NUMBER_REFUSED naming where (`path`, `query:<name>`, `header:<name>`), never the value. */
export function refuseCardNumbersOutsideBody(req: Request): void {
  const where = findCardNumberInRequest(req.url, req.headers.entries());
  if (where === undefined) return;
  throw edgeError("CARD_NUMBER_REFUSED", `a raw card number was sent in ${where}; send card_number_hash only`, [
    { path: where, message: "looks like a raw card number (13–19 digits passing Luhn)" },
  ]);
}

/** The request's path for a message or a log line: any card number in it masked. */
export function safePath(req: Request): string {
  return safeRequestPath(req.url);
}
