import type { ReferenceSnapshot } from "../../core/contracts/reference.js";
import type { ActiveModelFiles } from "../reference/target.js";
import type { ModelFiles } from "./model-store.js";
import { activeModels } from "./registry.js";
import type { SqlQuery } from "../ports/index.js";

// What the model registry publishes to the edge (through reference/publish.ts, the one
// publisher): the champion's and the shadow's files, and their part of the snapshot document.

export async function activeModelFiles(sql: SqlQuery, files: ModelFiles): Promise<ActiveModelFiles> {
  const act = await activeModels(sql);
  const out: ActiveModelFiles = {};
  for (const role of ["champion", "shadow"] as const) {
    const row = act[role];
    if (!row) continue;
    const json = await files.text(row.version);
    if (json === undefined) throw new Error(`model file of ${role} ${row.version} is missing from the archive`);
    out[role] = { version: row.version, json };
  }
  return out;
}

/** The model part of the snapshot document (overlaid on the base, whose model_version is the bundled one). */
export async function snapshotModels(sql: SqlQuery, files: ModelFiles): Promise<Partial<ReferenceSnapshot>> {
  const a = await activeModelFiles(sql, files);
  const models: Record<string, unknown> = {};
  for (const m of [a.champion, a.shadow]) if (m) models[m.version] = JSON.parse(m.json) as unknown;
  return {
    ...(a.champion ? { model_version: a.champion.version } : {}),
    ...(a.shadow ? { shadow_model_version: a.shadow.version } : {}),
    ...(Object.keys(models).length > 0 ? { models } : {}),
  };
}
