import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { goldenFileText } from "../../core/golden/replay.js";
import { UsageError, type Command } from "./common.js";

// `vigil golden update` (`npm run golden:update`): rewrites core/golden/expected.json from the
// current engine. Review the diff (git diff core/golden/expected.json) before committing: it is
// the behaviour change.

export const GOLDEN_FILE = fileURLToPath(new URL("../../core/golden/expected.json", import.meta.url));

export const golden: Command = {
  name: "golden",
  summary: "rewrite the golden decisions (core/golden/expected.json) from the current engine",
  usage: "golden update [--out FILE (default core/golden/expected.json)]",
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: "string", default: GOLDEN_FILE } } });
    if (positionals[0] !== "update" || positionals.length > 1) throw new UsageError("say update");
    const text = goldenFileText();
    writeFileSync(values.out, text);
    console.log(`wrote ${(JSON.parse(text) as { decisions: unknown[] }).decisions.length} decisions to ${values.out}`);
    return 0;
  },
};
