import { createLogger, type LogFields, type Logger, type LogSink } from "../core/contracts/logger.js";

// The edge runtimes' sink for core's one logger factory: console, one JSON line per entry, seen by
// `wrangler tail` on Workers and on stdout/stderr on Deno. No timestamp: the platforms stamp lines.

const consoleSink: LogSink = (level, line) => {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};

/** A JSON-lines logger on console: `{level, code, ...base, ...fields}`. */
export function consoleLogger(base: LogFields = {}): Logger {
  return createLogger(consoleSink, { base });
}
