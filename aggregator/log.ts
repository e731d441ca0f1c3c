import { createLogger, type Logger, type LogFields } from "../core/contracts/logger.js";

// The aggregator's Logger: core's one factory, one JSON line per entry on stderr.

const stderr = (_level: string, line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function createJsonLogger(base: LogFields = {}): Logger {
  return createLogger(stderr, { base, now: () => new Date().toISOString() });
}

export const jsonLogger: Logger = createJsonLogger();
