import { describe, expect, it } from "vitest";
import { KEY_ID_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER, verifyBodyWithKeys, type SigningKey } from "./signing.js";

// Key rotation (issue 13 item 9): the verifier holds the old and the new key for a while.

const NOW = 1_800_000_000;
const OLD: SigningKey = { id: "k1", secret: "old-secret-0123456789abcdef", notAfterSeconds: NOW + 3600 };
const NEW: SigningKey = { id: "k2", secret: "new-secret-0123456789abcdef" };
const body = '{"records":[]}';

async function verify(keys: SigningKey[], h: Record<string, string>, now = NOW) {
  return verifyBodyWithKeys(keys, body, h[SIGNATURE_HEADER], h[TIMESTAMP_HEADER], h[KEY_ID_HEADER], now);
}

describe("signing with key ids", () => {
  it("names the key in a header only when given", async () => {
    expect(Object.keys(await signBody(NEW.secret, body, NOW))).not.toContain(KEY_ID_HEADER);
    expect((await signBody(NEW.secret, body, NOW, "k2"))[KEY_ID_HEADER]).toBe("k2");
  });

  it("during a rotation accepts the old and the new key, by id and without one", async () => {
    const ring = [NEW, OLD];
    expect(await verify(ring, await signBody(OLD.secret, body, NOW, "k1"))).toMatchObject({ ok: true, keyId: "k1" });
    expect(await verify(ring, await signBody(NEW.secret, body, NOW, "k2"))).toMatchObject({ ok: true, keyId: "k2" });
    expect(await verify(ring, await signBody(OLD.secret, body, NOW))).toMatchObject({ ok: true, keyId: "k1" });
  });

  it("refuses the old key after its not-after time, an unknown id, and a key id that does not match the secret", async () => {
    const ring = [NEW, OLD];
    const later = NOW + 3601;
    expect(await verify(ring, await signBody(OLD.secret, body, later, "k1"), later)).toEqual({ ok: false, reason: "RETIRED_KEY" });
    expect(await verify(ring, await signBody(OLD.secret, body, later), later)).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
    expect(await verify(ring, await signBody(NEW.secret, body, NOW, "k9"))).toEqual({ ok: false, reason: "UNKNOWN_KEY" });
    expect(await verify(ring, await signBody(OLD.secret, body, NOW, "k2"))).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("reports missing and stale signatures as before", async () => {
    expect(await verify([NEW], {})).toEqual({ ok: false, reason: "MISSING_SIGNATURE" });
    expect(await verify([NEW, OLD], await signBody(NEW.secret, body, NOW - 1000))).toEqual({ ok: false, reason: "STALE_TIMESTAMP" });
  });
});
