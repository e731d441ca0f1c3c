import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../testing/runtimes.js";

// `wrangler deploy --dry-run --env X` for every deployed environment: wrangler validates the
// configuration (bindings, script_name, queues, migrations) and bundles the Worker, offline. Run
// with the repository's Node 22 (wrangler needs it). The shape rules themselves (one namespace
// owner, one consumer per queue, per-region queues) are checked by
// tests/architecture/wrangler-regions.test.ts; this proves wrangler accepts and builds each env.

const NODE = join(ROOT, "node_modules/.bin/node");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const out = mkdtempSync(join(tmpdir(), "vigil-dry-run-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function dryRun(env: string) {
  const dir = join(out, env);
  const r = spawnSync(NODE, [WRANGLER, "deploy", "--dry-run", "--env", env, "--outdir", dir], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, text: `${r.stdout}\n${r.stderr}`, files: r.status === 0 ? readdirSync(dir) : [] };
}

describe("wrangler deploy --dry-run", () => {
  it.each(["us", "eu", "apac"])("--env %s builds, bound to the shared CardState and its own queues", (env) => {
    const r = dryRun(env);
    expect(r.status, r.text).toBe(0);
    expect(r.files).toContain("entry.js");
    expect(r.text).toMatch(/env\.CARD_STATE \(CardState, defined in vigil-card-state\)/);
    expect(r.text).toContain(`env.SCORED_EVENTS (vigil-scored-events-${env})`);
    expect(r.text).toContain(`env.DLQ (vigil-scored-events-${env}-dlq)`);
    expect(r.text).toContain("env.SCORED_EVENTS_EU (vigil-scored-events-eu)");
  });

  it("--env state builds the CardState owner", () => {
    const r = dryRun("state");
    expect(r.status, r.text).toBe(0);
    expect(r.files).toContain("state-entry.js");
    expect(r.text).toMatch(/env\.CARD_STATE \(CardState\)\s/);
  });
});
