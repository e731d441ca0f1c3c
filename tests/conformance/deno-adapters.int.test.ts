import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../testing/runtimes.js";

// The Deno adapters' own tests (edge/deno/*_test.ts: KV check-and-set without the in-process queue,
// conflict exhaustion, duplicates, KV queue retry/dead-letter against a real local receiver) run in
// Deno itself; this runs them from `npm test` and fails with their output.

it("deno test edge/deno/ passes (type-checked: deno test checks first)", () => {
  const r = spawnSync(join(ROOT, "node_modules/.bin/deno"), ["test", "--unstable-kv", "--allow-env", "--allow-read", "--allow-write", "--allow-net=127.0.0.1", "edge/deno/"], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 170_000,
  });
  const output = `${r.stdout}\n${r.stderr}`;
  expect(r.status, output.slice(-6000)).toBe(0);
  expect(output).toMatch(/ok \| \d+ passed \| 0 failed/);
});

it("deno check edge/deno/main.ts passes", () => {
  const r = spawnSync(join(ROOT, "node_modules/.bin/deno"), ["check", "edge/deno/main.ts", "edge/deno/bench-hello.ts"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, encoding: "utf8", timeout: 170_000 });
  expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-6000)).toBe(0);
});
