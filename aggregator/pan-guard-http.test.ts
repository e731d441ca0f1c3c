import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "../core/contracts/logger.js";
import { digitValue } from "../core/pan-guard.js";
import { createApp } from "./app.js";
import { createEmbeddedBus, type EmbeddedBus } from "./bus/embedded-bus.js";
import { createMetrics } from "./metrics.js";
import { TOPICS } from "./ports/index.js";
import { scoredRecords, signedIngest } from "./testing/ingest-fixtures.js";

// The PAN guard on the aggregator's HTTP surface (issue 13 item 7): path, query string and headers
// of every route (ops API included: the guard runs before any route), and the ingest body in every
// written form. Refused 400 naming where, never echoing or logging the number.

const secret = "test-secret-0123456789abcdef";
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const PAN = "4111111111111111";
const arabic = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCodePoint(0x0660 + Number(d)));
let dir: string;
let bus: EmbeddedBus;
const lines: string[] = [];
const log: Logger = {
  info: (code, f) => void lines.push(JSON.stringify({ code, ...f })),
  warn: (code, f) => void lines.push(JSON.stringify({ code, ...f })),
  error: (code, f) => void lines.push(JSON.stringify({ code, ...f })),
};
const digitsOf = (s: string) => [...s].map((c) => digitValue(c.codePointAt(0) ?? 0)).filter((d) => d >= 0).join("");

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vigil-pan-http-"));
  bus = await createEmbeddedBus({ dataDir: dir, log });
  await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 1, replicationFactor: 1 })));
});
afterEach(async () => {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

const app = () => createApp({ bus, ingest: { secret, maxSkewSeconds: 300, maxBodyBytes: 1 << 20 }, metrics: createMetrics({ defaults: false }), now: () => NOW, log });

describe("aggregator PAN guard over path, query, headers and ingest bodies", () => {
  it.each([
    ["X-Request-Id", "/healthz", { "x-request-id": PAN }, "header:x-request-id"],
    ["a custom header with letters around", "/healthz", { "x-note": `PAN${PAN}EXP` }, "header:x-note"],
    ["a query parameter with dots", `/v1/metrics/fraud-summary?date=${"4111.1111.1111.1111"}`, {}, "query:date"],
    ["a query parameter in Arabic-Indic digits", `/v1/review/cases?q=${encodeURIComponent(arabic(PAN))}`, {}, "query:q"],
    ["an ops path", `/v1/cards/${PAN}/fraud-history`, {}, "path"],
    ["an ops path with en dashes", `/v1/transactions/${encodeURIComponent("4111–1111–1111–1111")}/fraud-verdict`, {}, "path"],
  ])("%s → 400 CARD_NUMBER_REFUSED naming where", async (_n, path, headers, where) => {
    const res = await app().fetch(new Request(`http://x${path}`, { headers }));
    expect(res.status).toBe(400);
    const text = await res.text();
    const body = JSON.parse(text) as { error: { code: string; issues: Array<{ path: string }> } };
    expect(body.error.code).toBe("CARD_NUMBER_REFUSED");
    expect(body.error.issues.map((i) => i.path)).toEqual([where]);
    expect(digitsOf(text)).not.toContain(PAN);
    expect(digitsOf(lines.join("\n"))).not.toContain(PAN);
  });

  it("the bearer token and proxy headers are not searched", async () => {
    const res = await app().fetch(new Request("http://x/healthz", { headers: { authorization: `Bearer ${PAN}`, "x-forwarded-for": "10.200.300.400, 192.168.100.200" } }));
    expect(res.status).toBe(200);
  });

  it.each([
    ["after a letter", `T${PAN}`],
    ["underscores", "4111_1111_1111_1111"],
    ["tabs", "4111\t1111\t1111\t1111"],
    ["Arabic-Indic digits", arabic(PAN)],
    ["fullwidth digits", PAN.replace(/[0-9]/g, (d) => String.fromCodePoint(0xff10 + Number(d)))],
  ])("ingest refuses a record with a card number written with %s, naming the field, publishing nothing", async (_n, written) => {
    const [rec] = scoredRecords(0, 1, { run: "pan" });
    const body = JSON.stringify({ records: [{ ...rec, event: { ...rec!.event, terminal_id: written } }] });
    const res = await app().fetch(await signedIngest("http://x/v1/ingest", secret, body, NOW / 1000));
    expect(res.status).toBe(400);
    const text = await res.text();
    expect((JSON.parse(text) as { error: { issues: Array<{ path: string }> } }).error.issues[0]?.path).toBe("records.0.event.terminal_id");
    expect(digitsOf(text)).not.toContain(PAN);
    expect(digitsOf(lines.join("\n"))).not.toContain(PAN);
  });
});
