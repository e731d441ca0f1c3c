import { PortError } from "../ports/index.js";

/**
 * Object keys are the same on S3 and in the local folder: relative, '/'-separated, no empty,
 * '.' or '..' segment, no backslash or control character. A bad key is a programming error, so
 * it is refused as fatal before any I/O (and can never escape the local root).
 */
export function checkArchiveKey(key: string, what = "key"): string {
  const bad =
    key.length === 0 ||
    key.length > 1024 ||
    key.startsWith("/") ||
    key.endsWith("/") ||
    /[\\\u0000-\u001f\u007f]/.test(key) ||
    key.split("/").some((s) => s === "" || s === "." || s === "..");
  if (bad) throw new PortError(`archive: invalid ${what} ${JSON.stringify(key)}`, false);
  return key;
}

/** Prefixes may be empty or end in '/', but follow the key rules otherwise. */
export function checkArchivePrefix(prefix: string): string {
  if (prefix === "") return prefix;
  checkArchiveKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix, "prefix");
  return prefix;
}

/** The streams the archive keeps, each under its own top-level prefix (the S3 key layout). */
export type ArchivedSchema = "vigil.raw-transaction" | "vigil.scored-event" | "vigil.alert" | "vigil.feature-row";

export const DEFAULT_ARCHIVE_PREFIXES: Record<ArchivedSchema, string> = {
  "vigil.raw-transaction": "raw/transactions",
  "vigil.scored-event": "verdicts",
  "vigil.alert": "fraud_alerts",
  "vigil.feature-row": "ml_features/feature_store",
};
