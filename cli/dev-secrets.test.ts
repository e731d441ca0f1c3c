import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { devSecret, DevSecretsSchema, ensureDevSecrets } from "./dev-secrets.js";

// The file `npm start` writes and the CLI reads its default tokens from.

const dir = mkdtempSync(join(tmpdir(), "vigil-dev-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm start's secrets file", () => {
  it("is made once, readable only by its owner, and the same on the next start", () => {
    const file = join(dir, "fresh/.data/dev/secrets.json");
    const first = ensureDevSecrets(file);
    expect(DevSecretsSchema.parse(JSON.parse(readFileSync(file, "utf8")))).toEqual(first);
    expect(first.ops_token).toMatch(/^opscli_[A-Za-z0-9_-]{32}$/);
    expect(new Set(Object.values(first)).size).toBe(Object.keys(first).length);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureDevSecrets(file)).toEqual(first);
  });

  it("keeps an older start's tokens and adds the CLI's ops token it lacks", () => {
    const file = join(dir, "old-secrets.json");
    const old = { edge_token: "edge_old", ingest_secret: "ingest_old", ops_admin_token: "ops_old", edge_snapshot_token: "snap_old" };
    writeFileSync(file, JSON.stringify(old));
    chmodSync(file, 0o600);
    const s = ensureDevSecrets(file);
    expect(s).toMatchObject(old);
    expect(s.ops_token).toMatch(/^opscli_/);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(s);
    expect(devSecret("ops_token", file)).toBe(s.ops_token);
  });

  it("refuses a file that is not a JSON object rather than replacing it", () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, "[1, 2]");
    expect(() => ensureDevSecrets(file)).toThrow();
    expect(readFileSync(file, "utf8")).toBe("[1, 2]");
  });

  it("gives the CLI a secret, or nothing when there is no file, no key or no JSON", () => {
    const file = join(dir, "read.json");
    writeFileSync(file, JSON.stringify({ edge_token: "edge_x", ops_token: "" }));
    expect(devSecret("edge_token", file)).toBe("edge_x");
    expect(devSecret("ops_token", file)).toBeUndefined();
    expect(devSecret("ingest_secret", file)).toBeUndefined();
    expect(devSecret("edge_token", join(dir, "missing.json"))).toBeUndefined();
    writeFileSync(file, "not json");
    expect(devSecret("edge_token", file)).toBeUndefined();
  });
});
