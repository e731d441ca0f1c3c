import { alertOf } from "../../core/contracts/alert.js";
import type { Alert, ScoredEvent } from "../../core/schemas.js";
import { envelope, verdictEnvelope } from "../bus/envelope.js";
import type { Envelope, MessageBatch, RawTransaction } from "../ports/index.js";

// MessageBatch builders for sink tests: what the consumer runner hands a sink.

export const env = {
  /** A verdict message as ingest publishes it: the record and the alert row it carries. */
  scored: (r: ScoredEvent): Envelope => verdictEnvelope(r, alertOf(r), r.received_at),
  /** A verdict message published before ingest carried the alert row. */
  scoredWithoutAlert: (r: ScoredEvent): Envelope => envelope("vigil.scored-event", r, r.received_at),
  raw: (r: ScoredEvent): Envelope =>
    envelope("vigil.raw-transaction", { event: r.event, region: r.region, received_at: r.received_at } satisfies RawTransaction, r.received_at),
  alert: (a: Alert): Envelope => envelope("vigil.alert", a, a.alert_timestamp),
};

export function batchOf(topic: string, partition: number, firstOffset: number, values: Envelope[]): MessageBatch {
  return {
    topic,
    partition,
    messages: values.map((value, i) => ({
      key: "k",
      value,
      position: { topic, partition, offset: String(firstOffset + i) },
    })),
  };
}
