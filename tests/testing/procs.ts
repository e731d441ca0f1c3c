import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { freePort } from "../../cli/free-port.js";
export { freePort };

// Process and port helpers for the end-to-end tests: free ports, children in their own process
// group (so a failed test can end the whole tree), and a scan of what still runs from a directory.

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

export interface Child {
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ends the child's whole process group (SIGTERM, then SIGKILL after `graceMs`). */
  kill(graceMs?: number): Promise<void>;
}

export function startChild(cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; name: string }): Child {
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    output: () => out,
    exited,
    async kill(graceMs = 10_000) {
      if (proc.pid === undefined) return;
      const group = (sig: NodeJS.Signals) => {
        try {
          process.kill(-proc.pid!, sig);
        } catch {
          // already gone
        }
      };
      if (alive()) group("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
      group("SIGKILL");
    },
  };
}

/** Thrown by a `until` check to give up at once (a child exited), instead of retrying to the deadline. */
export class Fatal extends Error {}

/** Waits until `check` returns a value, or throws with `what` (and the last error) at the deadline. */
export async function until<T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined, everyMs = 500): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms / 1000} s${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Pids of processes whose working directory or command line is inside `dir`. */
export function processesUnder(dir: string): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`);
      } catch {
        // not ours to read
      }
      if (cwd === dir || cwd.startsWith(`${dir}/`) || cmd.includes(dir)) found.push({ pid: Number(name), cmd: cmd.slice(0, 200) });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
