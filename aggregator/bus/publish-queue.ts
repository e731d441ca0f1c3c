import type { OutgoingMessage } from "../ports/index.js";

/**
 * Coalesces concurrent publishes (one per HTTP request) into one produce request while the
 * previous one is in flight: an idempotent producer sends one request per broker at a time
 * anyway, and one large request costs about as much as one small one on a busy broker. Every
 * caller's promise settles with the outcome of the request that carried its messages. Shared by
 * both Kafka adapters (kafkajs, @platformatic/kafka), so they batch the same way.
 */
export function createPublishQueue(send: (messages: OutgoingMessage[]) => Promise<void>, maxCoalesced: number) {
  interface Pending {
    messages: OutgoingMessage[];
    resolve: () => void;
    reject: (e: unknown) => void;
  }
  const queue: Pending[] = [];
  let sending = false;

  async function drain(): Promise<void> {
    if (sending) return;
    sending = true;
    try {
      while (queue.length > 0) {
        const group: Pending[] = [queue.shift()!];
        let count = group[0]!.messages.length;
        while (queue.length > 0 && count + queue[0]!.messages.length <= maxCoalesced) {
          const p = queue.shift()!;
          count += p.messages.length;
          group.push(p);
        }
        try {
          await send(group.flatMap((p) => p.messages));
          for (const p of group) p.resolve();
        } catch (e) {
          for (const p of group) p.reject(e);
        }
      }
    } finally {
      sending = false;
    }
  }

  return (messages: OutgoingMessage[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      queue.push({ messages, resolve, reject });
      void drain();
    });
}
