// The subset of Cloudflare's queue types that edge/forwarding/consumer.ts names, declared for
// `deno check` only (Node's tsconfig gets them from @cloudflare/workers-types and excludes edge/deno).
// The Deno adapter (kv-queue.ts) builds these shapes over Deno KV queue messages.

interface QueueSendOptions {
  contentType?: "text" | "bytes" | "json" | "v8";
  delaySeconds?: number;
}
interface MessageSendRequest<Body = unknown> {
  body: Body;
  contentType?: "text" | "bytes" | "json" | "v8";
  delaySeconds?: number;
}
interface QueueMetrics {
  backlogCount: number;
  backlogBytes: number;
  oldestMessageTimestamp?: Date;
}
interface QueueSendResponse {
  metadata: { metrics: QueueMetrics };
}
interface QueueSendBatchResponse {
  metadata: { metrics: QueueMetrics };
}
interface Queue<Body = unknown> {
  metrics(): Promise<QueueMetrics>;
  send(message: Body, options?: QueueSendOptions): Promise<QueueSendResponse>;
  sendBatch(messages: Iterable<MessageSendRequest<Body>>, options?: { delaySeconds?: number }): Promise<QueueSendBatchResponse>;
}
interface QueueRetryOptions {
  delaySeconds?: number;
}
interface Message<Body = unknown> {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: Body;
  readonly attempts: number;
  retry(options?: QueueRetryOptions): void;
  ack(): void;
}
interface MessageBatch<Body = unknown> {
  readonly messages: readonly Message<Body>[];
  readonly queue: string;
  readonly metadata: { metrics: QueueMetrics };
  retryAll(options?: QueueRetryOptions): void;
  ackAll(): void;
}
