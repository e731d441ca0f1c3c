import type { Alert, ScoredEvent } from "../../core/schemas.js";
import { alertOfVerdict, positionText, validateEnvelope, type FeatureRow, type SchemaName } from "../bus/envelope.js";
import { MessageFaultError, type Envelope, type LogPosition, type MessageBatch, type RawTransaction } from "../ports/index.js";

// Every sink validates a whole batch before it writes anything: a message it cannot accept
// (unknown schema or version, invalid payload, a schema this sink has no use for) stops the batch
// with a non-retriable error that names the message, so the runner can dead-letter exactly that
// message and re-deliver the rest. Nothing of the batch has been written at that point.

/** A message that can never be written: dead-letter it (position and index say which one). */
export class PoisonMessageError extends MessageFaultError {
  constructor(
    message: string,
    readonly position: LogPosition,
    /** Index of the message within the batch. */
    index: number,
  ) {
    super(message, index);
    this.name = "PoisonMessageError";
  }
}

export type ParsedMessage =
  | { schema: "vigil.raw-transaction"; payload: RawTransaction; position: LogPosition; index: number }
  | { schema: "vigil.scored-event"; payload: ScoredEvent; alert: Alert | undefined; position: LogPosition; index: number }
  | { schema: "vigil.alert"; payload: Alert; position: LogPosition; index: number }
  | { schema: "vigil.feature-row"; payload: FeatureRow; position: LogPosition; index: number };

export type SinkSchema = ParsedMessage["schema"];

export function parseBatch(sink: string, batch: MessageBatch, accepted: readonly SinkSchema[]): ParsedMessage[] {
  return batch.messages.map((m, index) => {
    const r = validateEnvelope(m.value, accepted as readonly SchemaName[]);
    if (!r.ok) {
      throw new PoisonMessageError(`${sink}: message ${index} at ${positionText(m.position)} refused: ${r.error}`, m.position, index);
    }
    const { schema, payload } = r.value;
    // A verdict's alert row as the message carries it (alertOfVerdict derives it for old messages only).
    if (schema === "vigil.scored-event") return { schema, payload, alert: alertOfVerdict(r.value as Envelope<ScoredEvent>), position: m.position, index } as ParsedMessage;
    return { schema, payload, position: m.position, index } as ParsedMessage;
  });
}
