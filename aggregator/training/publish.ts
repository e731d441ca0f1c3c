import type { Redis } from "@upstash/redis";
import { REDIS_KEYS, type ReferenceSnapshot } from "../../core/contracts/reference.js";
import type { ModelFiles } from "./model-store.js";
import { activeModels } from "./registry.js";
import type { OpsSql, SqlQuery } from "../ports/index.js";

// Publishing the champion and the shadow to the edge, as reference data. Redis (stack): the model
// files first (vigil:model:<version>, immutable), then the active versions, then INCR
// vigil:refdata:version, so an edge that sees the new version can already read the file. Without
// Redis (embedded) the snapshot endpoint carries versions and files; bumping
// fraud_ops.refdata_state makes the edge's snapshot adapter see a new version and reload.

export interface ActiveModelFiles {
  champion?: { version: string; json: string };
  shadow?: { version: string; json: string };
}

export interface ModelTarget {
  name: string;
  apply(active: ActiveModelFiles): Promise<void>;
}

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

export function redisModelTarget(redis: Redis): ModelTarget {
  return {
    name: "redis",
    async apply(a) {
      const p = redis.pipeline();
      for (const m of [a.champion, a.shadow]) if (m) p.set(REDIS_KEYS.model(m.version), m.json);
      if (a.champion) p.set(REDIS_KEYS.modelVersion, a.champion.version);
      if (a.shadow) p.set(REDIS_KEYS.shadowModelVersion, a.shadow.version);
      else p.del(REDIS_KEYS.shadowModelVersion);
      p.incr(REDIS_KEYS.refdataVersion);
      await p.exec();
    },
  };
}

/** The embedded profile's target: the snapshot is built per request; a new version tells edges to reload it. */
export function snapshotModelTarget(sql: OpsSql, now: () => number): ModelTarget {
  return {
    name: "snapshot",
    async apply() {
      await sql.query("UPDATE fraud_ops.refdata_state SET version = version + 1, updated_at = $1 WHERE id = 1", [new Date(now()).toISOString()]);
    },
  };
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
