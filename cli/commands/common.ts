import { devSecret } from "../dev-secrets.js";

// Shared flag handling for the CLI commands.

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

export class UsageError extends Error {}

// Tokens default to the environment, then to what a local `npm start` wrote to
// .data/dev/secrets.json (working directory), so the commands talk to it as they are.

export const edgeFlags = {
  edge: { type: "string", default: process.env.VIGIL_EDGE_URL ?? "http://127.0.0.1:8787" },
  token: { type: "string", default: process.env.VIGIL_EDGE_TOKEN ?? devSecret("edge_token") ?? "" },
} as const;

/** The aggregator's ops API: URL and an ops token (`npm start` hands the CLI an analyst's). */
export const opsFlags = {
  aggregator: { type: "string", default: process.env.VIGIL_AGGREGATOR_URL ?? "http://127.0.0.1:8788" },
  token: { type: "string", default: process.env.VIGIL_OPS_TOKEN ?? devSecret("ops_token") ?? "" },
} as const;

/** Parses a numeric flag, refusing junk and out-of-range values with the flag's name. */
export function num(raw: string | undefined, flag: string, min: number, max: number): number {
  const v = Number(raw);
  if (raw === undefined || raw.trim() === "" || !Number.isFinite(v) || v < min || v > max) {
    throw new UsageError(`${flag} must be a number between ${min} and ${max} (got ${JSON.stringify(raw)})`);
  }
  return v;
}
