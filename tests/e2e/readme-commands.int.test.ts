import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fatal, freePort, processesUnder, startChild, until, type Child } from "../testing/procs.js";

// Every command the README shows in a shell block is either run here, against the system
// `npm start` brings up, or listed below with the reason it cannot run here. A README that
// gains a command in neither fails this test, so the README cannot promise what nobody tried.
//
// The system runs from a clone of the committed tree (as tests/e2e/npm-start.int.test.ts does) on
// free ports. That test proves a fresh clone installs itself; this one borrows this checkout's
// node_modules through a link instead (the lock file is dated back so the prestart bootstrap
// installs nothing through the link), and the commands run from the clone's folder, as a user's
// would. Only the addresses are passed (VIGIL_EDGE_URL, VIGIL_AGGREGATOR_URL): the tokens must come
// from what `npm start` wrote in .data/dev/secrets.json, never from this test.

const repo = resolve(import.meta.dirname, "../..");

type Plan =
  | { run: "system"; why: string }
  | { run: "command"; bound?: (cmd: string) => string; shows?: RegExp }
  | { run: "no"; why: string };

const CLOUDFLARE = "needs a Cloudflare account; the same configuration is built by `wrangler deploy --dry-run` in tests/conformance/wrangler-dry-run.int.test.ts";
/** Shorter runs of the README's load commands: the same flags, seconds instead of minutes. */
const seconds = (cmd: string) => cmd.replace(/--duration \d+/, "--duration 3");

const PLANS: Record<string, Plan> = {
  "npm start": { run: "system", why: "this test starts it (on free ports) and runs the other commands against it" },
  "npm test": { run: "no", why: "runs every suite, this one included" },
  "wrangler deploy --env state": { run: "no", why: CLOUDFLARE },
  "wrangler queues create vigil-scored-events-us": { run: "no", why: CLOUDFLARE },
  "wrangler secret put EDGE_TOKENS --env eu": { run: "no", why: CLOUDFLARE },
  "wrangler secret put AGGREGATOR_URL --env eu": { run: "no", why: CLOUDFLARE },
  "wrangler secret put AGGREGATOR_URL_EU --env eu": { run: "no", why: CLOUDFLARE },
  "wrangler deploy --env eu": { run: "no", why: CLOUDFLARE },
  "VIGIL_PROFILE=stack INGEST_SECRET=… INGEST_KEY_ID=k1 KAFKA_BROKERS=b1:9092,b2:9092 CASSANDRA_CONTACT_POINTS=c1,c2 CASSANDRA_LOCAL_DC=dc1 DATABASE_URL=postgres://… S3_BUCKET=fraud-detection-datalake S3_REGION=eu-west-1 npm run aggregator": {
    run: "no",
    why: "a template for real clusters (the … are the operator's values); the stack profile runs in tests/e2e/stack.int.test.ts",
  },
  "npm run vigil -- help": { run: "command", shows: /consume-alerts/ },
  "npm run vigil -- producer --rate 100 --fraud-rate 0.02 --duration 60": { run: "command", bound: seconds },
  "npm run vigil -- consume-alerts": { run: "command", bound: (cmd) => `${cmd} --seconds 5`, shows: /\d+ alerts/ },
  "npm run vigil -- load-test --tps 200 --duration 30 --fraud-injection-rate 0.02": { run: "command", bound: seconds },
  "npm run vigil -- eval --target edge": { run: "command", bound: (cmd) => `${cmd} --events 2000 --cards 200`, shows: /ROC AUC/ },
};

/** The commands of the README's fenced shell blocks: continuation lines joined, comments dropped. */
function readmeCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/^```(?:bash|sh|shell|console)\s*\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? "");
  return blocks.flatMap((block) =>
    block
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((line) => line.replace(/(^|\s)#.*$/, "").replace(/\s+/g, " ").trim())
      .filter((line) => line !== ""),
  );
}

const COMMANDS = readmeCommands(readFileSync(join(repo, "README.md"), "utf8"));

describe("the README's commands", () => {
  it("are each run here or listed with the reason they cannot be", () => {
    expect(COMMANDS.length).toBeGreaterThan(5);
    const unplanned = COMMANDS.filter((c) => !(c in PLANS));
    expect(unplanned, `README commands this test neither runs nor explains:\n${unplanned.join("\n")}`).toEqual([]);
    const stale = Object.keys(PLANS).filter((c) => !COMMANDS.includes(c));
    expect(stale, `plans for commands the README no longer shows:\n${stale.join("\n")}`).toEqual([]);
  });

  it("reads a block as a user would type it", () => {
    expect(readmeCommands("```bash\nnpm start   # comment\nA=1 \\\n  b --x\n```\n```ts\nnot(a command)\n```\n")).toEqual(["npm start", "A=1 b --x"]);
  });
});

describe("the README's commands against `npm start`", () => {
  const work = mkdtempSync(join(tmpdir(), "vigil-readme-"));
  const clone = join(work, "vigil");
  const addresses: Record<string, string> = {};
  let system: Child | undefined;

  beforeAll(async () => {
    execFileSync("git", ["clone", "-q", repo, clone], { stdio: "pipe" });
    const modules = realpathSync(join(repo, "node_modules"));
    const stamp = join(modules, ".package-lock.json");
    // The bootstrap installs when the lock file is newer than the install stamp; dated back, the
    // lock can never be, so nothing is ever installed through the link into this checkout's tree.
    expect(existsSync(join(modules, ".bin/node")) && existsSync(stamp), "this checkout's node_modules is installed").toBe(true);
    symlinkSync(modules, join(clone, "node_modules"), "dir");
    const old = new Date(statSync(stamp).mtimeMs - 86_400_000);
    utimesSync(join(clone, "package-lock.json"), old, old);

    const edgePort = await freePort();
    const aggPort = await freePort();
    addresses.VIGIL_EDGE_URL = `http://127.0.0.1:${edgePort}`;
    addresses.VIGIL_AGGREGATOR_URL = `http://127.0.0.1:${aggPort}`;
    system = startChild("npm", ["start", "--", "--edge-port", String(edgePort), "--aggregator-port", String(aggPort)], { cwd: clone, name: "npm-start", env: { VIGIL_EDGE_TOKEN: undefined } });
    await until("npm start printed its URLs", 5 * 60_000, () => {
      if (system!.proc.exitCode !== null) throw new Fatal(`npm start exited early:\n${system!.output().slice(-4000)}`);
      return system!.output().includes("Vigil is up") ? true : undefined;
    });
    expect(system.output()).not.toContain("[bootstrap]");
  }, 6 * 60_000);

  afterAll(async () => {
    await system?.kill();
    for (const p of processesUnder(clone)) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  const runnable = COMMANDS.flatMap((c) => {
    const plan = PLANS[c];
    return plan?.run === "command" ? [{ readme: c, plan }] : [];
  });

  it.each(runnable)("$readme", { timeout: 4 * 60_000 }, async ({ readme, plan }) => {
    const cmd = plan.bound ? plan.bound(readme) : readme;
    const child = startChild("bash", ["-c", cmd], {
      cwd: clone,
      name: readme,
      env: { ...addresses, VIGIL_EDGE_TOKEN: undefined, VIGIL_OPS_TOKEN: undefined, VIGIL_EDGE_OPS_TOKEN: undefined },
    });
    try {
      const exit = await Promise.race([child.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 3 * 60_000))]);
      expect(exit, `${cmd}\n--- output ---\n${child.output().slice(-4000)}`).toEqual({ code: 0, signal: null });
      if (plan.shows) expect(child.output()).toMatch(plan.shows);
    } finally {
      await child.kill(2_000);
    }
  });
});
