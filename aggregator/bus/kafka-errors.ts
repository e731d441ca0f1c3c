import kafkajs from "kafkajs";
import { PortError } from "../ports/index.js";

// kafkajs is CommonJS and spreads its error classes into module.exports, which Node's ESM named-
// export detection cannot see: take them from the default export.
const { KafkaJSError } = kafkajs;

// kafkajs marks each error retriable or not. Two of its "non-retriable" kinds only mean "kafkajs
// gave up retrying" (retries exceeded, a timeout): the cause decides, because a broker that is down
// now may be back in a minute, and the edge should retry rather than drop the batch.
const GAVE_UP = new Set(["KafkaJSNumberOfRetriesExceeded", "KafkaJSTimeout", "KafkaJSLockTimeout"]);

export function isKafkaRetriable(e: unknown): boolean {
  if (e instanceof PortError) return e.retriable;
  if (!(e instanceof KafkaJSError)) return false;
  if (GAVE_UP.has(e.name)) {
    return e.cause === undefined || e.cause === e ? true : isKafkaRetriable(e.cause);
  }
  return e.retriable;
}

export function toPortError(e: unknown, operation: string): PortError {
  if (e instanceof PortError) return e;
  let message = e instanceof Error ? e.message : String(e);
  const kind = e instanceof Error ? e.name : "Error";
  // An aggregate (e.g. per-topic creation errors) says nothing useful until its parts are listed.
  const parts = (e as { errors?: unknown }).errors;
  if (Array.isArray(parts) && parts.length > 0) {
    message += `: ${parts.slice(0, 5).map((p: unknown) => (p instanceof Error ? p.message : String(p))).join("; ")}`;
  }
  return new PortError(`kafka ${operation} failed: ${kind}: ${message}`, isKafkaRetriable(e), { cause: e });
}

/** Rejects with a retriable PortError after `ms`: a publish must not hang an HTTP request forever. */
export async function withTimeout<T>(p: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PortError(`kafka ${operation} timed out after ${ms} ms`, true)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
