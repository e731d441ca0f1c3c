import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import expected from "../core/golden/expected.json" with { type: "json" };
import { goldenFileText } from "../core/golden/replay.js";
import { golden, GOLDEN_FILE } from "./commands/golden.js";
import { UsageError } from "./commands/common.js";
import { tokens } from "./commands/tokens.js";
import { DEFAULT_MODEL_FILE, trainModel } from "./commands/train-model.js";

// The commands behind the npm aliases train:model, golden:update and ops:tokens: they write what
// the pure core functions produce, to the files the repository ships, and refuse bad usage.

const dir = mkdtempSync(join(tmpdir(), "vigil-cli-maint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function quietly(run: () => Promise<number>): Promise<number> {
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    return await run();
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

function vigil(args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(join(process.cwd(), "node_modules/.bin/tsx"), ["cli/vigil.ts", ...args], { cwd: process.cwd(), timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

describe("vigil train-model", () => {
  it("writes the shipped default model byte for byte", async () => {
    const out = join(dir, "model.json");
    expect(await quietly(() => trainModel.run(["--out", out]))).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(DEFAULT_MODEL_FILE, "utf8"));
  });
});

describe("vigil golden update", () => {
  it("writes the current engine's golden decisions to the file given (default: the shipped one)", async () => {
    expect(GOLDEN_FILE.endsWith(join("core", "golden", "expected.json"))).toBe(true);
    const out = join(dir, "expected.json");
    expect(await quietly(() => golden.run(["update", "--out", out]))).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toBe(goldenFileText());
    const written = JSON.parse(text) as typeof expected;
    expect(written.decisions.map((d) => [d.transaction_id, d.verdict])).toEqual(expected.decisions.map((d) => [d.transaction_id, d.verdict]));
    expect([written.rules_version, written.model_version, written.config_version]).toEqual([expected.rules_version, expected.model_version, expected.config_version]);
  });

  it("wants the word update", async () => {
    await expect(golden.run([])).rejects.toThrow(UsageError);
    await expect(golden.run(["upgrade"])).rejects.toThrow(UsageError);
  });
});

describe("vigil tokens", () => {
  it("refuses an unknown action or role before touching a database", async () => {
    await expect(tokens.run([])).rejects.toThrow(UsageError);
    await expect(tokens.run(["create", "alice", "superuser"])).rejects.toThrow(UsageError);
    await expect(tokens.run(["revoke"])).rejects.toThrow(UsageError);
  });

  it("hashes a token read on stdin for OPS_BOOTSTRAP_TOKENS (npm run ops:tokens -- hash)", async () => {
    const r = await vigil(["tokens", "hash"], "tok-secret-0123456789\n");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(createHash("sha256").update("tok-secret-0123456789").digest("hex"));
  });
});
