// Remembers signatures seen within the signature's validity window, so a captured batch cannot be
// sent again while its timestamp is still fresh. Bounded: the oldest entries go first when full
// (an entry evicted early can only let through a replay older than everything kept).

export type ReplayCheck = "fresh" | "replayed";

/**
 * What ingest needs from a replay guard. The in-memory ReplayGuard below serves one process (and
 * the unit tests); the shared one (aggregator/ingest/ledger.ts, PostgreSQL) serves several.
 */
export interface ReplayStore {
  reserve(signature: string, nowMs: number): ReplayCheck | Promise<ReplayCheck>;
  commit(signature: string, expiresAtMs: number): void | Promise<void>;
  release(signature: string): void | Promise<void>;
}

export class ReplayGuard implements ReplayStore {
  /** signature → expiry (ms); Map keeps insertion order, which is roughly expiry order. */
  private readonly seen = new Map<string, number>();
  private readonly pending = new Set<string>();

  constructor(private readonly maxEntries = 100_000) {}

  /**
   * Reserves a signature while its batch is processed. A concurrent duplicate is refused; after
   * a failed publish `release` lets the sender retry the same signed request.
   */
  reserve(signature: string, nowMs: number): ReplayCheck {
    this.evict(nowMs);
    const expiry = this.seen.get(signature);
    if ((expiry !== undefined && expiry > nowMs) || this.pending.has(signature)) return "replayed";
    this.pending.add(signature);
    return "fresh";
  }

  /** The batch was accepted: refuse this signature until `expiresAtMs`. */
  commit(signature: string, expiresAtMs: number): void {
    this.pending.delete(signature);
    this.seen.delete(signature);
    this.seen.set(signature, expiresAtMs);
    while (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  release(signature: string): void {
    this.pending.delete(signature);
  }

  get size(): number {
    return this.seen.size;
  }

  private evict(nowMs: number): void {
    // Entries are appended with expiry = timestamp + skew; stop at the first one still valid.
    for (const [sig, expiry] of this.seen) {
      if (expiry > nowMs) break;
      this.seen.delete(sig);
    }
  }
}
