// A scored event no queue message can carry (Cloudflare Queues: 128 KB; Deno KV queue: 60 KiB):
// refused before anything is sent, never retried. Here, where both runtime adapters may import it.

export class RecordTooLargeError extends Error {
  readonly retriable = false;
  constructor(
    readonly transactionId: string,
    readonly bytes: number,
    /** The limit of the queue that refused it. */
    readonly limitBytes: number,
  ) {
    super(`scored event ${transactionId} is ${bytes} bytes, over the ${limitBytes}-byte queue message limit`);
    this.name = "RecordTooLargeError";
  }
}
