import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { archiveContract } from "../testing/archive.contract.js";
import { createLocalArchive } from "./local-archive.js";

let root = "";
archiveContract("local folder", {
  async setup() {
    root = await mkdtemp(join(tmpdir(), "vigil-archive-"));
    return createLocalArchive(root);
  },
  teardown: () => rm(root, { recursive: true, force: true }),
  async misconfigured() {
    // the root is a regular file: no folder can ever be made under it
    const file = join(root, "not-a-folder");
    await writeFile(file, "x");
    return createLocalArchive(file);
  },
});

it("leaves no temp file behind and never lists one", async () => {
  const dir = await mkdtemp(join(tmpdir(), "vigil-archive-tmp-"));
  try {
    const a = createLocalArchive(dir);
    await Promise.all(Array.from({ length: 8 }, (_, i) => a.put("same/key.bin", new Uint8Array([i]), "application/octet-stream")));
    expect(await readdir(join(dir, "same"))).toEqual(["key.bin"]);
    expect((await a.get("same/key.bin"))?.length).toBe(1);
    await writeFile(join(dir, "same", "key.bin.tmp-1-abc"), "partial");
    expect(await a.list("same/")).toEqual(["same/key.bin"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
