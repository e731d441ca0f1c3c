import { GenericError, MultipleErrors, NetworkError, TimeoutError } from "@platformatic/kafka";
import { PortError } from "../ports/index.js";

// @platformatic/kafka marks each broker error `canRetry` (its protocol error table, as the Java
// client has it) and wraps what it tried in a MultipleErrors when it gives up. Classified like the
// kafkajs adapter's errors (kafka-errors.ts): "gave up" (retries exhausted, a timeout, a refused
// connection) is retriable when what it gave up on is, because a broker that is down now may be
// back in a minute and the edge should retry rather than drop the batch; a user error (bad options,
// an unsupported API or compression), authentication and the broker's non-retriable answers
// (authorization, invalid config, message too large) are not.

export function isPlatformaticRetriable(e: unknown): boolean {
  if (e instanceof PortError) return e.retriable;
  if (!(e instanceof Error)) return false;
  // A local request timeout (TimeoutError, code PLT_KFK_NETWORK) and every connection failure.
  if (e instanceof TimeoutError) return true;
  if (MultipleErrors.isMultipleErrors(e)) {
    const parts = e.errors.filter((x): x is Error => x instanceof Error);
    return (e as { canRetry?: unknown }).canRetry === true || (parts.length > 0 && parts.some(isPlatformaticRetriable));
  }
  if (GenericError.isGenericError(e)) {
    if (e.code === NetworkError.code) return true;
    return (e as { canRetry?: unknown }).canRetry === true;
  }
  // Node's own socket errors (ECONNREFUSED, ECONNRESET, ...) when they escape unwrapped.
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && /^(ECONN|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)/.test(code);
}

export function toPlatformaticPortError(e: unknown, operation: string): PortError {
  if (e instanceof PortError) return e;
  let message = e instanceof Error ? e.message : String(e);
  const kind = e instanceof Error ? ((e as { code?: unknown }).code as string | undefined) ?? e.name : "Error";
  const parts = (e as { errors?: unknown }).errors;
  if (Array.isArray(parts) && parts.length > 0) {
    // The last attempt says most; list a few distinct ones.
    const texts = [...new Set(parts.map((p: unknown) => (p instanceof Error ? p.message : String(p))))];
    message += `: ${texts.slice(-5).join("; ")}`;
  }
  return new PortError(`kafka ${operation} failed: ${kind}: ${message}`, isPlatformaticRetriable(e), { cause: e });
}
