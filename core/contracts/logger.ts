// The one logger shape of Vigil: an object with a method per level, each taking a stable,
// machine-readable code (e.g. SINK_STARTED) and structured fields. Implementations write JSON
// lines (the edge's consoleLogger, the aggregator's jsonLogger); core defines the shape only.

/** Log fields: never tokens, never card numbers (card hashes are fine). */
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(code: string, fields?: LogFields): void;
  warn(code: string, fields?: LogFields): void;
  error(code: string, fields?: LogFields): void;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
