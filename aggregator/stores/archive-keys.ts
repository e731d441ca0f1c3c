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
