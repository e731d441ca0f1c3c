import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

// Shared flag handling for the CLI commands.

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

export class UsageError extends Error {}

/**
 * The terminal token `npm start` wrote to .data/dev/secrets.json (working directory), if any: the
 * default of --token when VIGIL_EDGE_TOKEN is unset, so the CLI talks to a local `npm start` as is.
 */
export function devEdgeToken(file = join(process.cwd(), ".data/dev/secrets.json")): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const token = (JSON.parse(readFileSync(file, "utf8")) as { edge_token?: unknown }).edge_token;
    return typeof token === "string" && token !== "" ? token : undefined;
  } catch {
    return undefined;
  }
}

export const edgeFlags = {
  edge: { type: "string", default: process.env.VIGIL_EDGE_URL ?? "http://127.0.0.1:8787" },
  token: { type: "string", default: process.env.VIGIL_EDGE_TOKEN ?? devEdgeToken() ?? "" },
} as const;

/** Parses a numeric flag, refusing junk and out-of-range values with the flag's name. */
export function num(raw: string | undefined, flag: string, min: number, max: number): number {
  const v = Number(raw);
  if (raw === undefined || raw.trim() === "" || !Number.isFinite(v) || v < min || v > max) {
    throw new UsageError(`${flag} must be a number between ${min} and ${max} (got ${JSON.stringify(raw)})`);
  }
  return v;
}
