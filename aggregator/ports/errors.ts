// Errors say whether trying again can help: every adapter of a port throws these.

/** A consumer chooses retry or dead-letter from `retriable`. */
export class PortError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = retriable ? "RetriableError" : "FatalError";
  }
}
export const isRetriable = (e: unknown): boolean => e instanceof PortError && e.retriable;

/**
 * The one kind of failure that is the MESSAGE's fault: its schema, or a constraint on its data.
 * Only this dead-letters (the sink consumer writes the others of the batch and moves on); every
 * other failure — access denied, missing bucket, read-only database, unauthorized, timeouts,
 * refused connections — is the infrastructure's, and stalls the consumer until it is fixed.
 * `index` names the message within the batch when the sink knows it.
 */
export class MessageFaultError extends PortError {
  constructor(
    message: string,
    readonly index?: number,
    options?: { cause?: unknown },
  ) {
    super(message, false, options);
    this.name = "MessageFaultError";
  }
}
export const isMessageFault = (e: unknown): e is MessageFaultError => e instanceof MessageFaultError;
