import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { parseLabelsFile } from "../labels/file.js";
import { importLabels } from "../labels/import.js";
import { progress } from "../progress.js";
import { num, opsFlags, UsageError, type Command } from "./common.js";

// `vigil labels import FILE`: chargebacks (or other labels) into Vigil through the ops API, never
// into the database directly, so the audit trail, the label versions and the risk job see them
// like any other feedback. The whole file is checked first; with a bad row nothing is sent.

const MAX_ISSUES_SHOWN = 20;

export const labelsCommand: Command = {
  name: "labels",
  summary: "import labels (chargebacks) from a CSV or JSON file through the aggregator's ops API",
  usage:
    "labels import FILE [--aggregator http://127.0.0.1:8788] [--token T (default $VIGIL_OPS_TOKEN, else npm start's)] [--source CHARGEBACK] [--batch 500] [--json]",
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...opsFlags,
        source: { type: "string", default: "CHARGEBACK" },
        batch: { type: "string", default: "500" },
        json: { type: "boolean", default: false },
      },
    });
    const [sub, file, ...extra] = positionals;
    if (sub !== "import" || file === undefined || extra.length > 0) throw new UsageError("expected: labels import FILE");
    if (values.token === "") throw new UsageError("an analyst token is needed: --token, VIGIL_OPS_TOKEN or a local npm start's .data/dev/secrets.json");
    const batchSize = num(values.batch, "--batch", 1, 500);

    const started = Date.now();
    const parsed = parseLabelsFile(await readFile(file, "utf8"), basename(file), values.source);
    if (parsed.issues.length > 0) {
      for (const i of parsed.issues.slice(0, MAX_ISSUES_SHOWN)) console.error(`${file}: ${i.where}: ${i.message}`);
      if (parsed.issues.length > MAX_ISSUES_SHOWN) console.error(`… and ${parsed.issues.length - MAX_ISSUES_SHOWN} more`);
      console.error(`labels import: ${parsed.issues.length} bad row(s) of ${parsed.rows}; nothing was sent`);
      return 1;
    }
    const bar = progress("labels", parsed.labels.length, { toStderr: true });
    let summary;
    try {
      summary = await importLabels(parsed.labels, {
        url: values.aggregator,
        token: values.token,
        batchSize,
        onProgress: (done, s) => bar.update(done, { created: s.created, updated: s.updated, unchanged: s.unchanged }),
      });
    } finally {
      bar.stop();
    }
    const seconds = (Date.now() - started) / 1000;
    const result = { file, rows: parsed.rows, duplicates_in_file: parsed.duplicates, ...summary, seconds };
    if (values.json) console.log(JSON.stringify(result));
    else {
      console.log(
        `labels import ${file}: ${parsed.rows} rows, ${summary.sent} labels sent in ${summary.batches} batch(es)` +
          `${parsed.duplicates ? ` (${parsed.duplicates} repeated rows sent once)` : ""}\n` +
          `  created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}` +
          `${summary.retries ? `, ${summary.retries} retried request(s)` : ""} — ${seconds.toFixed(1)} s` +
          `${summary.created + summary.updated === 0 ? "\n  nothing changed: every label was already known" : ""}`,
      );
    }
    return 0;
  },
};
