import { mkdirSync, openSync, closeSync, readFileSync, existsSync, ftruncateSync, writeFileSync, renameSync, unlinkSync } from "node:fs";
import { open, writeFile, rename, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { PortError } from "../ports/index.js";

// Durable storage for the embedded bus: one append-only JSON-lines file per topic-partition and one
// offsets file replaced atomically (write temp, rename). Offsets are line numbers, as in Kafka.

export interface StoredMessage {
  key: string;
  /** The envelope as JSON text, parsed on delivery like bytes from Kafka. */
  value: string;
  /** Append time, ms since the epoch. */
  ts: number;
}

export class PartitionLog {
  readonly messages: StoredMessage[] = [];
  private waiters = new Set<() => void>();
  private constructor(private readonly fh: FileHandle) {}

  /** Loads the file; a torn last line (crash mid-append) is cut off, it was never acknowledged. */
  static async open(file: string): Promise<PartitionLog> {
    const messages: StoredMessage[] = [];
    if (existsSync(file)) {
      const text = readFileSync(file, "utf8");
      let good = 0;
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        const line = text.slice(start, nl);
        try {
          const m = JSON.parse(line) as { k: string; v: string; t: number };
          messages.push({ key: m.k, value: m.v, ts: m.t });
        } catch {
          break;
        }
        start = nl + 1;
        good += Buffer.byteLength(line, "utf8") + 1;
      }
      if (good < Buffer.byteLength(text, "utf8")) {
        const fd = openSync(file, "r+");
        ftruncateSync(fd, good);
        closeSync(fd);
      }
    }
    const log = new PartitionLog(await open(file, "a"));
    log.messages.push(...messages);
    return log;
  }

  /** Writes without syncing; `sync` then makes a publish durable before it resolves. */
  async append(items: StoredMessage[]): Promise<void> {
    const text = items.map((m) => JSON.stringify({ k: m.key, v: m.value, t: m.ts })).join("\n") + "\n";
    await this.fh.appendFile(text, "utf8");
  }

  async sync(): Promise<void> {
    await this.fh.datasync();
  }

  /** Makes appended messages visible to consumers and wakes the ones waiting. */
  expose(items: StoredMessage[]): void {
    this.messages.push(...items);
    const w = [...this.waiters];
    this.waiters.clear();
    for (const f of w) f();
  }

  waitBeyond(offset: number, signal: AbortSignal): Promise<void> {
    if (this.messages.length > offset || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Committed offsets per group and "topic/partition", persisted atomically. */
export class OffsetStore {
  private offsets: Record<string, Record<string, number>>;
  private writing: Promise<void> = Promise.resolve();
  constructor(private readonly file: string) {
    this.offsets = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, number>>) : {};
  }

  get(group: string, tp: string): number {
    return this.offsets[group]?.[tp] ?? 0;
  }

  has(group: string): boolean {
    return this.offsets[group] !== undefined;
  }

  /** Drops a group's offsets (an ephemeral reader that left); resolves once written. */
  forget(group: string): Promise<void> {
    delete this.offsets[group];
    return this.persist();
  }

  /** Resolves once the new offset is on disk. */
  commit(group: string, tp: string, next: number): Promise<void> {
    (this.offsets[group] ??= {})[tp] = next;
    return this.persist();
  }

  private persist(): Promise<void> {
    // Chained so two commits never race on the temp file; each write carries every offset so far.
    this.writing = this.writing.catch(() => undefined).then(async () => {
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, JSON.stringify(this.offsets), "utf8");
      await rename(tmp, this.file);
    });
    return this.writing;
  }
}

/** Topic partition counts, chosen by ensureTopics and kept so a restart reopens the same layout. */
export function readTopicLayout(dir: string): Record<string, number> {
  const file = join(dir, "topics.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, number>) : {};
}

export function writeTopicLayout(dir: string, layout: Record<string, number>): void {
  const file = join(dir, "topics.json");
  writeFileSync(`${file}.tmp`, JSON.stringify(layout, null, 2));
  renameSync(`${file}.tmp`, file);
}

/**
 * One process per data directory: a second one would interleave appends and offsets. The lock
 * names the owner's pid; a lock left by a dead process is taken over.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "LOCK");
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, "utf8"));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new PortError(`embedded bus data dir ${dir} is in use by pid ${pid}`, false);
    }
  }
  writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (readFileSync(file, "utf8") === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
