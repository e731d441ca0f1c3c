import { SingleBar, Presets } from "cli-progress";

// Progress bars on long runs when a person is watching; plain periodic lines otherwise (CI logs).
export interface Progress {
  update(value: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

/** `toStderr` keeps stdout for the command's output (piped to a file or to jq). */
export function progress(label: string, total: number, opts: { toStderr?: boolean } = {}): Progress {
  const stream = opts.toStderr ? process.stderr : process.stdout;
  if (stream.isTTY) {
    const bar = new SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} | {info}`, hideCursor: true, stream },
      Presets.shades_classic,
    );
    bar.start(total, 0, { info: "" });
    return {
      update: (v, f) => bar.update(v, { info: f ? Object.entries(f).map(([k, x]) => `${k}=${x}`).join(" ") : "" }),
      stop: () => bar.stop(),
    };
  }
  let lastLog = 0;
  return {
    update(v, f) {
      const now = Date.now();
      if (now - lastLog < 5000) return;
      lastLog = now;
      const info = f ? Object.entries(f).map(([k, x]) => `${k}=${x}`).join(" ") : "";
      stream.write(`${label}: ${v}/${total} ${info}\n`);
    },
    stop() {},
  };
}
