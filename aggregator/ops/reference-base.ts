import { readFile } from "node:fs/promises";
import { ReferenceSnapshotSchema } from "../../core/contracts/reference.js";
import type { SnapshotBase } from "../reference/publish.js";

/**
 * The snapshot base from OPS_REFERENCE_BASE_FILE (block lists, IP risk, active versions the ops
 * tables do not own), read and validated on every use so an edited file needs no restart.
 */
export function snapshotBaseFromFile(file: string | undefined): SnapshotBase | undefined {
  if (!file) return undefined;
  return async () => ReferenceSnapshotSchema.parse(JSON.parse(await readFile(file, "utf8")));
}
