import { createHash } from "node:crypto";
import { GbdtModelSchema, type GbdtModel } from "../../core/ml/gbdt/model.js";
import type { Archive, SqlQuery } from "../ports/index.js";
import { MODEL_VERSION_PATTERN } from "./lifecycle.js";

// Model files in the archive (models/<version>.json, the canonical text serializeGbdt writes) and
// the labels training reads. Files are immutable per version, so they are cached once read.

export const MODELS_PREFIX = "models";

export function modelKey(version: string, rootPrefix = ""): string {
  if (!MODEL_VERSION_PATTERN.test(version)) throw new Error(`not a model version: ${JSON.stringify(version)}`);
  return `${rootPrefix ? `${rootPrefix.replace(/\/+$/, "")}/` : ""}${MODELS_PREFIX}/${version}.json`;
}

export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

export interface ModelFiles {
  put(version: string, json: string): Promise<{ key: string; sha256: string }>;
  /** The file's text, validated; undefined when no such file. */
  text(version: string): Promise<string | undefined>;
  model(version: string): Promise<GbdtModel | undefined>;
}

export function createModelFiles(archive: Archive, rootPrefix = ""): ModelFiles {
  const cache = new Map<string, { text: string; model: GbdtModel }>();
  const read = async (version: string) => {
    const hit = cache.get(version);
    if (hit) return hit;
    const body = await archive.get(modelKey(version, rootPrefix));
    if (body === undefined) return undefined;
    const text = new TextDecoder().decode(body);
    const model = GbdtModelSchema.parse(JSON.parse(text));
    if (model.model_version !== version) throw new Error(`${modelKey(version, rootPrefix)} holds model ${model.model_version}`);
    const entry = { text, model };
    cache.set(version, entry);
    return entry;
  };
  return {
    async put(version, json) {
      const key = modelKey(version, rootPrefix);
      await archive.put(key, new TextEncoder().encode(json), "application/json");
      return { key, sha256: sha256Hex(json) };
    },
    text: async (v) => (await read(v))?.text,
    model: async (v) => (await read(v))?.model,
  };
}

export interface LabelVersionRow {
  transaction_id: string;
  version: number;
  is_fraud: boolean;
  labelled_at_ms: number;
}

/** Every label version of these transactions, including those after any cut-off (the join decides). */
export async function labelVersionsFor(sql: SqlQuery, ids: readonly string[], chunk = 5000): Promise<LabelVersionRow[]> {
  const out: LabelVersionRow[] = [];
  for (let i = 0; i < ids.length; i += chunk) {
    const { rows } = await sql.query<{ transaction_id: string; version: number; is_fraud: boolean; at_ms: number }>(
      `SELECT transaction_id, version, is_fraud, (extract(epoch FROM labelled_at) * 1000)::float8 AS at_ms
         FROM fraud_ops.labels WHERE transaction_id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(ids.slice(i, i + chunk))],
    );
    for (const r of rows) out.push({ transaction_id: r.transaction_id, version: r.version, is_fraud: r.is_fraud, labelled_at_ms: r.at_ms });
  }
  return out;
}
