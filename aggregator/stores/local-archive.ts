import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PortError, type Archive } from "../ports/index.js";
import { checkArchiveKey, checkArchivePrefix } from "./archive-keys.js";

// Archive in a local folder (embedded profile), in the same key layout as S3: key a/b/c.parquet
// is the file <root>/a/b/c.parquet. Writes go to a temp file in the same folder, then rename(),
// so a reader (or a crash) never sees half an object, and an overwrite replaces it whole.

const TMP_MARK = ".tmp-";
/** Transient conditions: too many open files, busy, out of space, I/O errors, interrupted. */
const RETRIABLE = new Set(["EMFILE", "ENFILE", "EBUSY", "EAGAIN", "ENOSPC", "EIO", "EINTR", "ETIMEDOUT"]);

export function toFsPortError(what: string, e: unknown): PortError {
  if (e instanceof PortError) return e;
  const code = (e as { code?: string }).code;
  return new PortError(`${what}: ${e instanceof Error ? e.message : String(e)}`, code !== undefined && RETRIABLE.has(code), { cause: e });
}

export function createLocalArchive(root: string): Archive {
  const pathOf = (key: string) => join(root, ...checkArchiveKey(key).split("/"));

  async function walk(dir: string, rel: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return;
      throw e;
    }
    for (const ent of entries) {
      const key = rel === "" ? ent.name : `${rel}/${ent.name}`;
      if (ent.isDirectory()) await walk(join(dir, ent.name), key, out);
      else if (ent.isFile() && !ent.name.includes(TMP_MARK)) out.push(key);
    }
  }

  return {
    async put(key: string, body: Uint8Array): Promise<void> {
      const path = pathOf(key);
      const tmp = `${path}${TMP_MARK}${process.pid}-${randomUUID()}`;
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(tmp, body, { flush: true });
        await rename(tmp, path);
      } catch (e) {
        await rm(tmp, { force: true }).catch(() => undefined);
        throw toFsPortError(`local archive put ${key}`, e);
      }
    },

    async get(key: string): Promise<Uint8Array | undefined> {
      const path = pathOf(key);
      try {
        return new Uint8Array(await readFile(path));
      } catch (e) {
        if ((e as { code?: string }).code === "ENOENT") return undefined;
        throw toFsPortError(`local archive get ${key}`, e);
      }
    },

    async list(prefix: string): Promise<string[]> {
      checkArchivePrefix(prefix);
      // Walk only below the deepest folder the prefix names, then filter like S3 does.
      const cut = prefix.lastIndexOf("/");
      const base = cut < 0 ? "" : prefix.slice(0, cut);
      const out: string[] = [];
      try {
        await walk(base === "" ? root : join(root, ...base.split("/")), base, out);
      } catch (e) {
        throw toFsPortError(`local archive list ${prefix}`, e);
      }
      return out.filter((k) => k.startsWith(prefix)).sort();
    },
  };
}
