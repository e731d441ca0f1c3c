import type { Logger, LogFields } from "../core/contracts/logger.js";

// The aggregator's Logger (core/contracts/logger.ts): one JSON line per entry on stderr.

export function createJsonLogger(base: LogFields = {}): Logger {
  const line = (level: string) => (code: string, fields?: LogFields) => {
    process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level, code, ...base, ...fields })}\n`);
  };
  return { info: line("info"), warn: line("warn"), error: line("error") };
}

export const jsonLogger: Logger = createJsonLogger();
