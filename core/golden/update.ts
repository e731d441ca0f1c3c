// npm run golden:update — rewrites core/golden/expected.json from the current engine. Review the
// diff (git diff core/golden/expected.json) before committing: it is the behaviour change.
import { writeFileSync } from "node:fs";
import { defaultEngine } from "../engine-default.js";
import { replayGolden } from "./replay.js";

const e = defaultEngine();
const out = { rules_version: e.rulesVersion, model_version: e.modelVersion, config_version: e.configVersion, decisions: replayGolden() };
const path = new URL("./expected.json", import.meta.url);
writeFileSync(path, JSON.stringify(out, null, 2) + "\n");
console.log(`wrote ${out.decisions.length} decisions to ${path.pathname}`);
