import { afterEach, describe, expect, it, vi } from "vitest";
import { authenticate, constantTimeEqualHex, sha256Hex } from "./auth.js";
import type { EdgeToken } from "./config.js";
import { VigilError } from "../core/contracts/errors.js";
import { call, cardHash, objectIds, score, scoreBatch, spyQueue, STORE, stubFor, txn, type ErrorJson } from "./testing/helpers.js";

afterEach(() => vi.restoreAllMocks());

async function expectNothingScored(card: string, q: ReturnType<typeof spyQueue>) {
  expect((await objectIds()).has(stubFor(card).id.toString())).toBe(false);
  expect(q.calls()).toBe(0);
}

describe("bearer auth", () => {
  it.each([
    ["missing", undefined],
    ["not Bearer", "Basic dXNlcjpwYXNz"],
    ["empty token", "Bearer "],
    ["garbage", "Bearer two words"],
    ["unknown token", "Bearer not-a-configured-token"],
  ])("401 with WWW-Authenticate when the token is %s; nothing scored", async (_name, header) => {
    const q = spyQueue();
    const t = txn();
    const res = await call("/v1/transactions/score", {
      token: null,
      body: t,
      headers: header === undefined ? {} : { authorization: header },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
    const body = await res.json<ErrorJson>();
    expect(body.error.code).toBe("UNAUTHORIZED");
    expect(body.error.request_id).toBeTruthy();
    await expectNothingScored(t.card_number_hash as string, q);
  });

  it("403 when the token's channels do not include the event's channel", async () => {
    const q = spyQueue();
    const t = txn({ channel: "ONLINE" });
    const res = await score(t, { token: STORE });
    expect(res.status).toBe(403);
    const body = await res.json<ErrorJson>();
    expect(body.error.code).toBe("FORBIDDEN_CHANNEL");
    expect(body.error.issues?.[0]?.path).toBe("channel");
    await expectNothingScored(t.card_number_hash as string, q);
  });

  it("403 for a batch when any item's channel is not allowed; no item is scored", async () => {
    const q = spyQueue();
    const items = [txn({ channel: "IN_STORE" }), txn({ channel: "ATM" }), txn({ channel: "ONLINE" })];
    const res = await scoreBatch(items, { token: STORE });
    expect(res.status).toBe(403);
    expect((await res.json<ErrorJson>()).error.issues?.map((i) => i.path)).toEqual(["transactions.2.channel"]);
    for (const i of items) await expectNothingScored(i.card_number_hash as string, q);
  });

  it("a store token scores its own channels", async () => {
    expect((await score(txn({ channel: "ATM", transaction_type: "WITHDRAWAL" }), { token: STORE })).status).toBe(200);
  });

  it("compares against every configured hash, whichever matches (no early exit)", async () => {
    const tokens: EdgeToken[] = await Promise.all(
      ["a", "b", "c", "d"].map(async (id) => ({ id, sha256: await sha256Hex(`token-${id}`), channels: ["ONLINE" as const] })),
    );
    for (const header of ["Bearer token-a", "Bearer token-d", "Bearer token-x", undefined, "Basic zzz"]) {
      const eq = vi.fn(constantTimeEqualHex);
      const result = await authenticate(header, tokens, eq).catch((e: unknown) => e);
      expect(eq).toHaveBeenCalledTimes(tokens.length);
      if (header === "Bearer token-a") expect(result).toMatchObject({ id: "a" });
      else if (header === "Bearer token-d") expect(result).toMatchObject({ id: "d" });
      else expect(result).toBeInstanceOf(VigilError);
    }
  });

  it("hashes a matching token once per isolate; unknown tokens every time; a token no longer configured stops matching", async () => {
    const tokens: EdgeToken[] = [{ id: "cached", sha256: await sha256Hex("token-cached-1"), channels: ["ONLINE"] }];
    const digest = vi.spyOn(crypto.subtle, "digest");
    await expect(authenticate("Bearer token-cached-1", tokens)).resolves.toMatchObject({ id: "cached" });
    await expect(authenticate("Bearer token-cached-1", tokens)).resolves.toMatchObject({ id: "cached" });
    expect(digest).toHaveBeenCalledTimes(1);
    await expect(authenticate("Bearer token-unknown-1", tokens)).rejects.toBeInstanceOf(VigilError);
    await expect(authenticate("Bearer token-unknown-1", tokens)).rejects.toBeInstanceOf(VigilError);
    expect(digest).toHaveBeenCalledTimes(3);
    await expect(authenticate("Bearer token-cached-1", [])).rejects.toBeInstanceOf(VigilError);
    await expect(authenticate("Bearer token-cached-1", [{ id: "other", sha256: await sha256Hex("token-other"), channels: ["ONLINE"] }])).rejects.toBeInstanceOf(VigilError);
  });

  it("constantTimeEqualHex is plain equality on hex strings", () => {
    expect(constantTimeEqualHex("ab12", "ab12")).toBe(true);
    expect(constantTimeEqualHex("ab12", "ab13")).toBe(false);
    expect(constantTimeEqualHex("ab12", "ab1")).toBe(false);
  });

  it("never logs tokens or card numbers", async () => {
    const lines: string[] = [];
    for (const m of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    }
    const secretToken = "Bearer super-secret-token-value-123";
    await call("/v1/transactions/score", { token: null, body: txn(), headers: { authorization: secretToken } });
    await score(txn({ merchant_id: "4111111111111111" }));
    await score(txn({ channel: "ONLINE" }), { token: STORE });
    await score(txn({ card_number_hash: cardHash() }));
    const all = lines.join("\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(all).not.toContain("super-secret-token-value-123");
    expect(all).not.toContain(STORE);
    expect(all).not.toContain("4111111111111111");
  });
});
