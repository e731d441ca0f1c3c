import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Fatal, freePort, portIsFree, processesUnder, startChild, until, type Child } from "../testing/procs.js";

// `npm start` on a fresh clone of the committed tree: its prestart bootstrap runs a real `npm ci`
// (1–4 minutes here), then it starts on free ports; the test waits for the printed URLs, scores one
// transaction with the token start.ts wrote, follows the alert stream with the CLI's default ops
// token (the README's `npm run vigil -- consume-alerts`), sends Ctrl-C, and checks that the whole
// tree is gone and both ports are free. Never link this checkout's node_modules into the clone:
// the clone's `npm ci` would wipe it through the link.

const repo = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "vigil-npm-start-"));
const clone = join(work, "vigil");
let child: Child | undefined;

afterAll(async () => {
  await child?.kill();
  for (const p of processesUnder(clone)) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  rmSync(work, { recursive: true, force: true });
});

describe("npm start on a fresh clone", () => {
  it("starts, scores a transaction, streams alerts to the CLI, and stops cleanly on SIGINT", { timeout: 20 * 60_000 }, async () => {
    execFileSync("git", ["clone", "-q", repo, clone], { stdio: "pipe" });

    const edgePort = await freePort();
    const aggPort = await freePort();
    child = startChild("npm", ["start", "--", "--edge-port", String(edgePort), "--aggregator-port", String(aggPort)], { cwd: clone, name: "npm-start", env: { VIGIL_EDGE_TOKEN: undefined } });
    const up = await until("npm start printed its URLs", 10 * 60_000, () => {
      if (child!.proc.exitCode !== null) throw new Fatal(`npm start exited early:\n${child!.output().slice(-4000)}`);
      return child!.output().includes("Vigil is up") ? child!.output() : undefined;
    }).catch((e: unknown) => {
      throw new Error(`${String(e)}\n--- output ---\n${child!.output().slice(-4000)}`);
    });
    // The fresh clone was really installed by the prestart bootstrap, not borrowed.
    expect(up).toContain("[bootstrap] installing npm dependencies (npm ci)");
    expect(up).toContain(`http://127.0.0.1:${edgePort}/v1`);
    expect(up).toContain(`http://127.0.0.1:${aggPort}/v1`);

    const secretsFile = join(clone, ".data/dev/secrets.json");
    expect(existsSync(secretsFile)).toBe(true);
    const { edge_token: token } = JSON.parse(readFileSync(secretsFile, "utf8")) as { edge_token: string };
    const res = await fetch(`http://127.0.0.1:${edgePort}/v1/transactions/score`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        transaction_id: `TXN-NPM-START-${Date.now().toString(36)}`,
        card_number_hash: "e2e0000000000000000000000000000000000000000000000000000000000001",
        merchant_id: "MCH-0022",
        merchant_category_code: "5411",
        amount_usd: 42.5,
        currency: "USD",
        timestamp_utc: new Date().toISOString(),
        transaction_type: "PURCHASE",
        channel: "ONLINE",
        geolocation: { lat: 40.71, lon: -74.0 },
      }),
    });
    const body = (await res.json()) as { verdict?: string; fraud_score?: number };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(["APPROVED", "REVIEW", "BLOCKED"]).toContain(body.verdict);

    // The README's `npm run vigil -- consume-alerts`, no token given: the CLI finds the ops token
    // npm start wrote (a refused token would exit 1 with "aggregator answered 401").
    const { VIGIL_OPS_TOKEN: _unset, ...env } = process.env;
    const alerts = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile("npm", ["run", "-s", "vigil", "--", "consume-alerts", "--seconds", "3"], { cwd: clone, env: { ...env, VIGIL_AGGREGATOR_URL: `http://127.0.0.1:${aggPort}` }, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, out: `${stdout}${stderr}` }));
    });
    expect(alerts.code, alerts.out).toBe(0);
    expect(alerts.out).toMatch(/\d+ alerts/);

    // Ctrl-C in a terminal: SIGINT to the foreground process group (npm, sh, tsx, start.ts).
    process.kill(-child.proc.pid!, "SIGINT");
    const exit = await until("npm start exited after SIGINT", 60_000, () => (child!.proc.exitCode !== null || child!.proc.signalCode !== null ? child!.exited : undefined));
    expect(child.output()).toContain("stopping…");
    expect(exit.code === 0 || exit.code === 130 || exit.signal === "SIGINT", JSON.stringify(exit)).toBe(true);
    const left = await until("children of npm start gone", 30_000, () => (processesUnder(clone).length === 0 ? [] : undefined)).catch(() => processesUnder(clone));
    expect(left).toEqual([]);
    expect(await portIsFree(edgePort)).toBe(true);
    expect(await portIsFree(aggPort)).toBe(true);
  });
});
