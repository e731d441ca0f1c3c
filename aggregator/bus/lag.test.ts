import { describe, expect, it } from "vitest";
import { partitionLag } from "./lag.js";

describe("partitionLag", () => {
  it("counts from the committed offset to the high watermark", () => {
    expect(partitionLag(120n, 10n, 100n)).toBe(20);
  });
  it("counts from the low watermark when the group has no commit yet", () => {
    expect(partitionLag(120n, 10n, -1n)).toBe(110);
  });
  it("is never negative (a commit past a truncated log)", () => {
    expect(partitionLag(50n, 0n, 60n)).toBe(0);
  });
});
