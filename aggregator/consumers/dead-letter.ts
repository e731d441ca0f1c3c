import { envelope, type DeadLetter } from "../bus/envelope.js";
import { TOPICS, type EventBus, type IncomingMessage } from "../ports/index.js";

// Poison messages go to fraud-dead-letter with the error text and their original position, keyed
// like the original so one card's refusals stay together. The consumer then moves on.

export interface DeadLetterWriter {
  write(groupId: string, items: Array<{ message: IncomingMessage; error: string }>): Promise<void>;
}

export function busDeadLetter(bus: EventBus, now: () => number = Date.now): DeadLetterWriter {
  return {
    async write(groupId, items) {
      if (items.length === 0) return;
      const at = new Date(now()).toISOString();
      await bus.publish(
        items.map(({ message, error }) => {
          const payload: DeadLetter = {
            error: error.slice(0, 2000),
            group_id: groupId,
            failed_at: at,
            original: { ...message.position, key: message.key, value: message.value },
          };
          return { topic: TOPICS.deadLetter, key: message.key || "unkeyed", value: envelope("vigil.dead-letter", payload, at) };
        }),
      );
    },
  };
}

/** A small closed set of reason codes for metrics labels, taken from the error text. */
export function deadLetterReason(error: string): string {
  const m = /\b(ENVELOPE_INVALID|UNKNOWN_SCHEMA_VERSION|UNKNOWN_SCHEMA|UNEXPECTED_SCHEMA|PAYLOAD_INVALID|IDEMPOTENCY_CONFLICT)\b/.exec(error);
  return m?.[1] ?? "SINK_REFUSED";
}
