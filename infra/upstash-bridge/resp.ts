import net from "node:net";

/**
 * A minimal RESP2 client over node:net: enough for the Upstash REST bridge, without a Redis
 * client dependency. Commands are pipelined: each `send` writes all its commands in one socket
 * write and replies are matched to callers in FIFO order, which is how Redis answers. Because a
 * `send` is one write, a MULTI ... EXEC block sent in one call cannot interleave with other
 * callers' commands even on a shared connection.
 */

/** A Redis error reply (`-ERR ...`). Returned as a value, not thrown: pipelines keep going. */
export class RespError {
  constructor(readonly message: string) {}
}

/** Simple strings (`+OK`) are kept apart from bulk strings: Upstash treats "OK" specially. */
export class SimpleString {
  constructor(readonly value: string) {}
}

export type RespValue = SimpleString | Buffer | number | null | RespError | RespValue[];

/** Thrown (rejected) when the connection itself fails: Redis down, reset, timeout. */
export class RespConnectionError extends Error {
  override readonly name = "RespConnectionError";
}

export type RespArg = string | Buffer;

export function encodeCommand(args: readonly RespArg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const b = typeof arg === "string" ? Buffer.from(arg, "utf8") : arg;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

const CRLF = 0x0d;

/**
 * Parses one reply starting at `pos`. Returns undefined when the buffer does not yet hold the
 * whole reply (the caller waits for more bytes and retries from the same position).
 */
export function parseReply(buf: Buffer, pos: number): { value: RespValue; next: number } | undefined {
  if (pos >= buf.length) return undefined;
  const lineEnd = buf.indexOf(CRLF, pos);
  if (lineEnd < 0 || lineEnd + 1 >= buf.length) return undefined;
  const type = String.fromCharCode(buf[pos] ?? 0);
  const line = buf.toString("utf8", pos + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: new SimpleString(line), next: afterLine };
    case "-":
      return { value: new RespError(line), next: afterLine };
    case ":":
      return { value: Number(line), next: afterLine };
    case "$": {
      const len = Number(line);
      if (len < 0) return { value: null, next: afterLine };
      if (afterLine + len + 2 > buf.length) return undefined;
      return { value: Buffer.from(buf.subarray(afterLine, afterLine + len)), next: afterLine + len + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: RespValue[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new RespConnectionError(`protocol error: unexpected byte ${JSON.stringify(type)} from Redis`);
  }
}

interface Pending {
  remaining: number;
  replies: RespValue[];
  resolve: (replies: RespValue[]) => void;
  reject: (err: Error) => void;
}

export interface RespConnectionOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
  /** A connection with replies outstanding and no bytes from Redis for this long is failed. */
  replyTimeoutMs?: number;
  /** Sent as `AUTH <password>` before anything else on every new connection. */
  password?: string;
}

/** One TCP connection to Redis. Dead after any socket error; the pool replaces it. */
export class RespConnection {
  private readonly socket: net.Socket;
  private readonly ready: Promise<void>;
  private readonly pending: Pending[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private failure: Error | undefined;
  private readonly replyTimeoutMs: number;

  constructor(options: RespConnectionOptions) {
    this.replyTimeoutMs = options.replyTimeoutMs ?? 10_000;
    this.socket = net.createConnection({ host: options.host, port: options.port });
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 10_000);
    const timeout = options.connectTimeoutMs ?? 2000;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new RespConnectionError(`connect to ${options.host}:${options.port} timed out`)), timeout);
      this.socket.once("connect", () => {
        clearTimeout(timer);
        if (options.password !== undefined) this.authenticate(options.password);
        resolve();
      });
      this.socket.once("close", () => {
        clearTimeout(timer);
        reject(this.failure ?? new RespConnectionError("connection closed"));
      });
    });
    // Callers see the failure through their own promise; this only silences the unhandled one.
    this.ready.catch(() => undefined);
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("error", (err: Error) => this.fail(new RespConnectionError(`redis ${options.host}:${options.port}: ${err.message}`)));
    this.socket.on("close", () => this.fail(new RespConnectionError("redis connection closed")));
    // A paused or wedged Redis must not hang HTTP callers forever. The idle timer runs only while
    // replies are outstanding (see send/onData), so quiet pooled connections stay open.
    this.socket.on("timeout", () => {
      if (this.pending.length > 0) this.fail(new RespConnectionError(`redis did not answer within ${this.replyTimeoutMs} ms`));
    });
  }

  get alive(): boolean {
    return this.failure === undefined;
  }

  get inFlight(): number {
    return this.pending.length;
  }

  async send(commands: readonly (readonly RespArg[])[]): Promise<RespValue[]> {
    if (commands.length === 0) return [];
    await this.ready;
    if (this.failure !== undefined) throw this.failure;
    return new Promise<RespValue[]>((resolve, reject) => {
      this.pending.push({ remaining: commands.length, replies: [], resolve, reject });
      this.socket.setTimeout(this.replyTimeoutMs);
      this.socket.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
    });
  }

  close(): void {
    this.fail(new RespConnectionError("connection closed by the bridge"));
  }

  // Queued first, so the callers' commands pipeline behind it; a refusal fails them all.
  private authenticate(password: string): void {
    const refused = (reason: string): void => this.fail(new RespConnectionError(`redis AUTH failed: ${reason}`));
    this.pending.push({
      remaining: 1,
      replies: [],
      resolve: ([reply]) => {
        if (reply instanceof RespError) refused(reply.message);
      },
      reject: () => undefined,
    });
    this.socket.setTimeout(this.replyTimeoutMs);
    this.socket.write(encodeCommand(["AUTH", password]));
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let pos = 0;
    try {
      for (;;) {
        const head = this.pending[0];
        if (head === undefined) break;
        const parsed = parseReply(this.buffer, pos);
        if (parsed === undefined) break;
        pos = parsed.next;
        head.replies.push(parsed.value);
        if (--head.remaining === 0) {
          this.pending.shift();
          head.resolve(head.replies);
        }
      }
    } catch (err) {
      this.fail(err instanceof Error ? err : new RespConnectionError(String(err)));
      return;
    }
    this.buffer = pos >= this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(pos);
    if (this.pending.length === 0) this.socket.setTimeout(0);
  }

  private fail(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.socket.destroy();
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}

/**
 * A few connections, each pipelined; a request goes to the live connection with the fewest
 * replies outstanding. Dead connections are replaced lazily on the next request, so a Redis
 * restart heals without restarting the bridge.
 */
export class RespPool {
  private readonly connections: (RespConnection | undefined)[];

  constructor(
    private readonly options: RespConnectionOptions,
    size = 4,
  ) {
    this.connections = Array.from({ length: Math.max(1, size) }, () => undefined);
  }

  async send(commands: readonly (readonly RespArg[])[]): Promise<RespValue[]> {
    return this.pick().send(commands);
  }

  close(): void {
    for (const c of this.connections) c?.close();
    this.connections.fill(undefined);
  }

  private pick(): RespConnection {
    let best: RespConnection | undefined;
    for (let i = 0; i < this.connections.length; i++) {
      let c = this.connections[i];
      if (c === undefined || !c.alive) {
        // Reached only when no earlier connection is idle: slots fill as concurrency grows.
        c = new RespConnection(this.options);
        this.connections[i] = c;
        return c;
      }
      if (best === undefined || c.inFlight < best.inFlight) best = c;
      if (best.inFlight === 0) break;
    }
    if (best === undefined) throw new RespConnectionError("no connection available");
    return best;
  }
}
