// The timing contract between the edge's forwarder and the aggregator's ingest. An edge that gives
// up on a POST /v1/ingest while the aggregator is still publishing it retries a batch that may
// already be in Kafka (a duplicate the sinks then have to absorb); so the aggregator answers every
// ingest request within its deadline, and the edge waits longer than that, with a margin for the
// network and the request body. Both sides check their settings against this at start-up.

/** Default of the aggregator's INGEST_DEADLINE_MS: replay check, idempotency claim and publish. */
export const INGEST_DEADLINE_MS_DEFAULT = 8_000;
/** What the edge's FORWARD_TIMEOUT_MS must exceed the aggregator's deadline by (or the deadline itself when shorter: time-compressed tests). */
export const FORWARD_TIMEOUT_MARGIN_MS = 1_000;

/** A problem text when the edge would time out before the aggregator answers, else undefined. */
export function forwardTimeoutProblem(forwardTimeoutMs: number, ingestDeadlineMs: number): string | undefined {
  const needed = ingestDeadlineMs + Math.min(FORWARD_TIMEOUT_MARGIN_MS, ingestDeadlineMs);
  if (forwardTimeoutMs >= needed) return undefined;
  return `FORWARD_TIMEOUT_MS (${forwardTimeoutMs}) must be at least the aggregator's INGEST_DEADLINE_MS (${ingestDeadlineMs}) + ${needed - ingestDeadlineMs} ms, or a slow publish is retried as a duplicate`;
}
