// The one logger shape of Vigil: an object with a method per level, each taking a stable,
// machine-readable code (e.g. SINK_STARTED) and structured fields, written as one JSON line per
// entry. Core owns the shape and the one factory; each runtime passes where lines go (console on
// the edge, stderr in the aggregator), so core itself does no I/O.

/** Log fields: never tokens, never card numbers (card hashes are fine). */
export type LogFields = Record<string, unknown>;

export type LogLevel = "info" | "warn" | "error";

export interface Logger {
  info(code: string, fields?: LogFields): void;
  warn(code: string, fields?: LogFields): void;
  error(code: string, fields?: LogFields): void;
}

/** Where a runtime writes one finished JSON line of the given level. */
export type LogSink = (level: LogLevel, line: string) => void;

export interface LoggerOptions {
  /** Fields on every line (service, component …). */
  base?: LogFields;
  /** An ISO timestamp per line (`ts`); omitted where the platform stamps lines itself (Workers). */
  now?: () => string;
}

/** The one logger factory: `{ts?, level, code, ...base, ...fields}` per line to `sink`. */
export function createLogger(sink: LogSink, options: LoggerOptions = {}): Logger {
  const base = options.base ?? {};
  const now = options.now;
  const line = (level: LogLevel) => (code: string, fields?: LogFields) =>
    sink(level, JSON.stringify(now ? { ts: now(), level, code, ...base, ...fields } : { level, code, ...base, ...fields }));
  return { info: line("info"), warn: line("warn"), error: line("error") };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
