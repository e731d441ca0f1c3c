import { backtest } from "./commands/backtest.js";
import { consumeAlerts } from "./commands/consume-alerts.js";
import { dlq } from "./commands/dlq.js";
import { UsageError, type Command } from "./commands/common.js";
import { evalCommand } from "./commands/eval.js";
import { golden } from "./commands/golden.js";
import { labelsCommand } from "./commands/labels.js";
import { loadTest } from "./commands/load-test.js";
import { producer } from "./commands/producer.js";
import { lists } from "./commands/lists.js";
import { tokens } from "./commands/tokens.js";
import { trainModel } from "./commands/train-model.js";

// `npm run vigil -- <command> [flags]`: the operator, tester and maintainer tools in one CLI (the
// npm scripts ops:tokens, train:model and golden:update are aliases of its commands).
const commands: Command[] = [producer, consumeAlerts, loadTest, evalCommand, backtest, lists, labelsCommand, dlq, tokens, trainModel, golden];

function help(): void {
  console.log("usage: npm run vigil -- <command> [flags]\n");
  for (const c of commands) console.log(`  ${c.name.padEnd(16)} ${c.summary}\n  ${"".padEnd(16)} ${c.usage}\n`);
}

const [name, ...rest] = process.argv.slice(2);
const command = commands.find((c) => c.name === name);
if (!command) {
  help();
  process.exitCode = name === undefined || name === "help" || name === "--help" ? 0 : 2;
} else {
  try {
    process.exitCode = await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
      console.error(`${command.name}: ${e.message}\nusage: ${command.usage}`);
      process.exitCode = 2;
    } else {
      console.error(`${command.name} failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    }
  }
}
