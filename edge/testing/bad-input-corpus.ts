// A generated corpus of bad requests to the edge's score routes (issue 13): malformed JSON, wrong
// types, limits, raw card numbers in every form the PAN guard must catch (body, keys, headers,
// query strings, paths), Unicode, oversized bodies, unknown fields and media types. Each case says
// what the edge must answer (status, stable code, named field) and which card numbers must never
// appear in an answer or a log line. Runtime-neutral: the Workers test and the conformance suite
// (Workers + Deno) both run it.

export interface BadCase {
  name: string;
  category: string;
  /** Path and query (default: the route's path). */
  path: string;
  headers: Record<string, string>;
  /** The body, or a factory for a fresh stream. */
  body: string | Uint8Array | (() => ReadableStream<Uint8Array>);
  status: 400 | 409 | 413 | 415 | 422;
  code: string;
  /** A path the answer's issues must name (or a path inside it, e.g. geolocation.lat), when the case has one. */
  issuePath?: string;
  /** ASCII digits of each card number the case carries: never in an answer or a log line. */
  pans: string[];
  /** Card hashes whose Durable Object must stay untouched. */
  cards: string[];
}

export type Txn = Record<string, unknown>;

const SINGLE = "/v1/transactions/score";
const BATCH = "/v1/transactions/score/batch";
const JSON_CT = { "content-type": "application/json" };

/** Luhn-valid test numbers of several lengths (Visa 16, Amex 15, Visa 13, Discover 16, Mastercard 16, 19 digits). */
export const TEST_PANS = ["4111111111111111", "378282246310005", "4222222222222", "6011000990139424", "5500000000000004", "4000000000000000006"];

const mapDigits = (s: string, zero: number) => s.replace(/[0-9]/g, (d) => String.fromCodePoint(zero + Number(d)));
const groups = (pan: string, sep: string) => (pan.match(/.{1,4}/g) ?? [pan]).join(sep);

/** Ways a card number is written that the guard must refuse (each keeps the same digits). */
export const PAN_FORMS: Array<[string, (pan: string) => string]> = [
  ["plain", (p) => p],
  ["after a letter", (p) => `T${p}`],
  ["between letters", (p) => `PAN${p}EXP`],
  ["dots", (p) => groups(p, ".")],
  ["underscores", (p) => groups(p, "_")],
  ["tabs", (p) => groups(p, "\t")],
  ["double spaces", (p) => groups(p, "  ")],
  ["en dashes", (p) => groups(p, "–")],
  ["em dashes with spaces", (p) => groups(p, " — ")],
  ["slashes", (p) => groups(p, "/")],
  ["no-break spaces", (p) => groups(p, "\u00a0")],
  ["zero-width spaces", (p) => groups(p, "\u200b")],
  ["Arabic-Indic digits", (p) => mapDigits(p, 0x0660)],
  ["Devanagari digits", (p) => mapDigits(p, 0x0966)],
  ["Bengali digits spaced", (p) => groups(mapDigits(p, 0x09e6), " ")],
  ["Thai digits", (p) => mapDigits(p, 0x0e50)],
  ["fullwidth digits", (p) => mapDigits(p, 0xff10)],
  ["mathematical bold digits", (p) => mapDigits(p, 0x1d7ce)],
  ["mixed scripts", (p) => `${mapDigits(p.slice(0, 4), 0x0660)}-${mapDigits(p.slice(4, 8), 0xff10)}-${p.slice(8)}`],
];

/** Header-safe forms (header values are ByteStrings: ASCII only). */
const HEADER_FORMS = PAN_FORMS.filter(([, f]) => [...f("4111111111111111")].every((c) => c.charCodeAt(0) < 128 && c !== "\t"));

/** A fresh, valid SHA-256-shaped card hash. */
function freshHash(): string {
  return `${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll("-", "");
}

/** Builds the corpus; `txn` makes a fresh valid event (its own card hash) for the channel ONLINE. */
export function buildBadInputCorpus(txn: (over?: Txn) => Txn, now: number): BadCase[] {
  const cases: BadCase[] = [];
  const single = (category: string, name: string, event: Txn, code: string, issuePath?: string, pans: string[] = []) =>
    cases.push({ name, category, path: SINGLE, headers: JSON_CT, body: JSON.stringify(event), status: 400, code, ...(issuePath !== undefined ? { issuePath } : {}), pans, cards: [String(event.card_number_hash)] });
  const batchOf = (category: string, name: string, bad: Txn, code: string, issuePath: string | undefined, pans: string[] = []) => {
    const items = [txn(), txn(), bad];
    cases.push({ name: `batch: ${name}`, category, path: BATCH, headers: JSON_CT, body: JSON.stringify({ transactions: items }), status: 400, code, ...(issuePath !== undefined ? { issuePath: `transactions.2.${issuePath}` } : {}), pans, cards: items.map((i) => String(i.card_number_hash)) });
  };

  // ---- malformed JSON
  const valid = JSON.stringify(txn());
  for (const cut of [1, 5, 17, 40, 80, valid.length - 1]) {
    cases.push({ name: `truncated at ${cut}`, category: "malformed JSON", path: SINGLE, headers: JSON_CT, body: valid.slice(0, cut), status: 400, code: "INVALID_JSON", pans: [], cards: [] });
  }
  const malformed: Array<[string, string]> = [
    ["empty body", ""],
    ["whitespace only", "   \n\t "],
    ["trailing garbage", `${valid} x`],
    ["two documents", `${valid}${valid}`],
    ["single quotes", "{'transaction_id': 'T1'}"],
    ["unquoted keys", "{transaction_id: \"T1\"}"],
    ["trailing comma", valid.replace(/}$/, ",}")],
    ["a comment", `/* note */${valid}`],
    ["NaN literal", valid.replace(/"amount_usd":[0-9.]+/, '"amount_usd":NaN')],
    ["Infinity literal", valid.replace(/"amount_usd":[0-9.]+/, '"amount_usd":Infinity')],
    ["hex number", valid.replace(/"amount_usd":[0-9.]+/, '"amount_usd":0x10')],
    ["leading zero", valid.replace(/"amount_usd":[0-9.]+/, '"amount_usd":012')],
    ["undefined", "undefined"],
    ["a lone brace", "{"],
    ["unterminated string", '{"transaction_id": "T1'],
    ["control character in a string", valid.replace(/"merchant_id":"[^"]*"/, '"merchant_id":"MCH-\u00010022"')],
    ["bad escape", valid.replace(/"merchant_id":"[^"]*"/, '"merchant_id":"MCH-\\x22"')],
  ];
  for (const [name, body] of malformed) cases.push({ name, category: "malformed JSON", path: SINGLE, headers: JSON_CT, body, status: 400, code: "INVALID_JSON", pans: [], cards: [] });

  // ---- wrong types and shapes
  const wrong: Record<string, unknown[]> = {
    transaction_id: [42, null, ["T1"], { id: "T1" }, true, ""],
    card_number_hash: [123456, null, [], "abc123", "card-hash-0001", "z".repeat(64)],
    merchant_id: [7, null, {}, false],
    merchant_category_code: [5411, "541", "54111", "ABCD"],
    amount_usd: ["12.50", null, [12], { usd: 1 }, true, "NaN"],
    currency: ["usd", "XXY", 840, "US"],
    timestamp_utc: [1_764_000_000, "yesterday", "2026-01-01T10:00:00", "2026-13-01T00:00:00Z", null],
    terminal_id: [123, [], {}, ""],
    device_fingerprint: [1, true, ["fp"]],
    ip_address_hash: [false, {}, 3],
    geolocation: ["40.7,-74.0", [40.7, -74], { lat: "40.7", lon: -74 }, { lat: 40.7 }, { lat: 40.7, lon: -74, alt: 3 }],
    transaction_type: ["purchase", "REFUNDED", 1],
    channel: ["online", "FAX", "ＯＮＬＩＮＥ", null, 2],
    card_present: ["yes", 1, "true"],
    card_bin: [411111, "41111", "411111111", "4111AA"],
    card_region: ["eu", "EUROPE", 1],
  };
  for (const [field, values] of Object.entries(wrong)) {
    values.forEach((v, i) => single("wrong types", `${field} = ${JSON.stringify(v).slice(0, 30)} (#${i})`, txn({ [field]: v }), "VALIDATION_FAILED", field));
  }
  for (const field of ["transaction_id", "card_number_hash", "merchant_id", "amount_usd", "channel"]) {
    const t = txn();
    delete t[field];
    single("wrong types", `missing ${field}`, t, "VALIDATION_FAILED", field);
  }
  for (const [name, body] of [["an array", "[]"], ["a string", '"hello"'], ["null", "null"], ["a number", "7"], ["true", "true"]] as const) {
    cases.push({ name: `a body that is ${name}`, category: "wrong types", path: SINGLE, headers: JSON_CT, body, status: 400, code: "VALIDATION_FAILED", pans: [], cards: [] });
  }

  // ---- limits
  const limits: Array<[string, Txn, string]> = [
    ["negative amount", { amount_usd: -0.01 }, "amount_usd"],
    ["amount above the maximum", { amount_usd: 1_000_000.01 }, "amount_usd"],
    ["amount 1e12", { amount_usd: 1e12 }, "amount_usd"],
    ["transaction_id of 65 characters", { transaction_id: `T${"x".repeat(64)}` }, "transaction_id"],
    ["merchant_id of 65 characters", { merchant_id: `M${"x".repeat(64)}` }, "merchant_id"],
    ["terminal_id of 65 characters", { terminal_id: "t".repeat(65) }, "terminal_id"],
    ["device_fingerprint of 129 characters", { device_fingerprint: "f".repeat(129) }, "device_fingerprint"],
    ["ip_address_hash of 129 characters", { ip_address_hash: "i".repeat(129) }, "ip_address_hash"],
    ["latitude 90.0001", { geolocation: { lat: 90.0001, lon: 0 } }, "geolocation.lat"],
    ["latitude -91", { geolocation: { lat: -91, lon: 0 } }, "geolocation.lat"],
    ["longitude 180.5", { geolocation: { lat: 0, lon: 180.5 } }, "geolocation.lon"],
    ["timestamp two hours ahead", { timestamp_utc: new Date(now + 7_200_000).toISOString() }, "timestamp_utc"],
    ["timestamp 31 days old", { timestamp_utc: new Date(now - 31 * 86_400_000).toISOString() }, "timestamp_utc"],
    ["year 1999", { timestamp_utc: "1999-12-31T23:59:59Z" }, "timestamp_utc"],
    ["year 3000", { timestamp_utc: "3000-01-01T00:00:00Z" }, "timestamp_utc"],
    ["card hash of 63 hex", { card_number_hash: "a".repeat(63) }, "card_number_hash"],
    ["card hash of 65 hex", { card_number_hash: "a".repeat(65) }, "card_number_hash"],
  ];
  for (const [name, over, field] of limits) single("limits", name, txn(over), "VALIDATION_FAILED", field);
  {
    const raw = JSON.stringify(txn({ amount_usd: 1 })).replace('"amount_usd":1', '"amount_usd":1e400');
    cases.push({ name: "amount 1e400 (Infinity after parsing)", category: "limits", path: SINGLE, headers: JSON_CT, body: raw, status: 400, code: "VALIDATION_FAILED", issuePath: "amount_usd", pans: [], cards: [] });
  }
  const tooMany = Array.from({ length: 101 }, () => txn());
  cases.push({ name: "batch of 101", category: "limits", path: BATCH, headers: JSON_CT, body: JSON.stringify({ transactions: tooMany }), status: 400, code: "BATCH_TOO_LARGE", issuePath: "transactions", pans: [], cards: tooMany.slice(0, 5).map((t) => String(t.card_number_hash)) });
  cases.push({ name: "empty batch", category: "limits", path: BATCH, headers: JSON_CT, body: '{"transactions":[]}', status: 400, code: "VALIDATION_FAILED", issuePath: "transactions", pans: [], cards: [] });
  cases.push({ name: "hostile nesting", category: "limits", path: SINGLE, headers: JSON_CT, body: `${"[".repeat(5000)}${"]".repeat(5000)}`, status: 400, code: "VALIDATION_FAILED", pans: [], cards: [] });

  // ---- card numbers in the body, in every form and place
  const bodyFields = ["transaction_id", "merchant_id", "terminal_id", "device_fingerprint", "ip_address_hash"];
  PAN_FORMS.forEach(([form, write], i) => {
    const pan = TEST_PANS[i % TEST_PANS.length] ?? "4111111111111111";
    const field = bodyFields[i % bodyFields.length] ?? "terminal_id";
    single("card numbers", `${form} in ${field}`, txn({ [field]: write(pan) }), "CARD_NUMBER_REFUSED", field, [pan]);
    const other = bodyFields[(i + 2) % bodyFields.length] ?? "merchant_id";
    batchOf("card numbers", `${form} in ${other}`, txn({ [other]: write(pan) }), "CARD_NUMBER_REFUSED", other, [pan]);
    single("card numbers", `${form} in an unknown nested field`, txn({ extra: { notes: ["ok", `pan ${write(pan)}`] } }), "CARD_NUMBER_REFUSED", "extra.notes.1", [pan]);
    single("card numbers", `${form} as a key`, txn({ extra: { [write(pan)]: true } }), "CARD_NUMBER_REFUSED", "extra.[card-number]", [pan]);
  });
  for (const pan of TEST_PANS) {
    if (Number.isSafeInteger(Number(pan))) single("card numbers", `${pan.length}-digit number as a JSON number`, txn({ device_fingerprint: Number(pan) }), "CARD_NUMBER_REFUSED", "device_fingerprint", [pan]);
    single("card numbers", `${pan.length}-digit number as card_number_hash`, txn({ card_number_hash: pan }), "CARD_NUMBER_REFUSED", "card_number_hash", [pan]);
    single("card numbers", `${pan.length}-digit number as card_hash (short form)`, { ...txn(), card_number_hash: undefined, card_hash: `${pan}` }, "CARD_NUMBER_REFUSED", "card_hash", [pan]);
  }

  // ---- card numbers outside the body: headers, query strings, paths
  HEADER_FORMS.forEach(([form, write], i) => {
    const pan = TEST_PANS[i % TEST_PANS.length] ?? "4111111111111111";
    const t = txn();
    cases.push({ name: `X-Request-Id with a card number (${form})`, category: "headers", path: SINGLE, headers: { ...JSON_CT, "x-request-id": write(pan) }, body: JSON.stringify(t), status: 400, code: "CARD_NUMBER_REFUSED", issuePath: "header:x-request-id", pans: [pan], cards: [String(t.card_number_hash)] });
    const u = txn();
    cases.push({ name: `a custom header with a card number (${form})`, category: "headers", path: SINGLE, headers: { ...JSON_CT, "x-terminal-note": `card ${write(pan)}` }, body: JSON.stringify(u), status: 400, code: "CARD_NUMBER_REFUSED", issuePath: "header:x-terminal-note", pans: [pan], cards: [String(u.card_number_hash)] });
    const v = txn();
    cases.push({ name: `a query parameter with a card number (${form})`, category: "query strings", path: `${SINGLE}?note=${encodeURIComponent(write(pan))}`, headers: JSON_CT, body: JSON.stringify(v), status: 400, code: "CARD_NUMBER_REFUSED", issuePath: "query:note", pans: [pan], cards: [String(v.card_number_hash)] });
  });
  for (const [form, write] of PAN_FORMS.slice(12, 16)) {
    const v = txn();
    cases.push({ name: `a query parameter with a card number (${form}, percent-encoded)`, category: "query strings", path: `${BATCH}?ref=${encodeURIComponent(write("4111111111111111"))}`, headers: JSON_CT, body: JSON.stringify({ transactions: [v] }), status: 400, code: "CARD_NUMBER_REFUSED", issuePath: "query:ref", pans: ["4111111111111111"], cards: [String(v.card_number_hash)] });
  }
  {
    const v = txn();
    cases.push({ name: "a query parameter named by a card number", category: "query strings", path: `${SINGLE}?4111111111111111=1`, headers: JSON_CT, body: JSON.stringify(v), status: 400, code: "CARD_NUMBER_REFUSED", issuePath: "query:[card-number]", pans: ["4111111111111111"], cards: [String(v.card_number_hash)] });
    const w = txn();
    cases.push({ name: "a card number in the path", category: "paths", path: `${SINGLE}/4111111111111111`, headers: JSON_CT, body: JSON.stringify(w), status: 400, code: "CARD_NUMBER_REFUSED", issuePath: "path", pans: ["4111111111111111"], cards: [String(w.card_number_hash)] });
    const x = txn();
    cases.push({ name: "a percent-encoded card number in the path", category: "paths", path: `/v1/cards/${encodeURIComponent("4111 1111 1111 1111")}`, headers: JSON_CT, body: JSON.stringify(x), status: 400, code: "CARD_NUMBER_REFUSED", issuePath: "path", pans: ["4111111111111111"], cards: [String(x.card_number_hash)] });
  }

  // ---- media types
  for (const ct of ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/jsonp", "json"]) {
    const t = txn();
    cases.push({ name: `Content-Type ${ct}`, category: "headers", path: SINGLE, headers: { "content-type": ct }, body: JSON.stringify(t), status: 415, code: "UNSUPPORTED_MEDIA_TYPE", pans: [], cards: [String(t.card_number_hash)] });
  }
  {
    const t = txn();
    cases.push({ name: "no Content-Type", category: "headers", path: SINGLE, headers: {}, body: JSON.stringify(t), status: 415, code: "UNSUPPORTED_MEDIA_TYPE", pans: [], cards: [String(t.card_number_hash)] });
  }

  // ---- Unicode
  const invalidUtf8: Array<[string, number[]]> = [
    ["a lone continuation byte", [0x80]],
    ["0xFF", [0xff]],
    ["an overlong slash", [0xc0, 0xaf]],
    ["an encoded surrogate", [0xed, 0xa0, 0x80]],
    ["a truncated 3-byte sequence", [0xe2, 0x82]],
    ["a code point above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
  ];
  for (const [name, bytes] of invalidUtf8) {
    const head = new TextEncoder().encode('{"transaction_id":"T');
    const tail = new TextEncoder().encode('1"}');
    cases.push({ name: `invalid UTF-8: ${name}`, category: "unicode", path: SINGLE, headers: JSON_CT, body: new Uint8Array([...head, ...bytes, ...tail]), status: 400, code: "INVALID_JSON", pans: [], cards: [] });
  }
  const unicodeIds: Array<[string, Txn, string]> = [
    ["accented transaction_id", { transaction_id: "TXN-é-001" }, "transaction_id"],
    ["right-to-left override in merchant_id", { merchant_id: "MCH\u202e2200" }, "merchant_id"],
    ["zero-width joiner in transaction_id", { transaction_id: "TXN\u200d001" }, "transaction_id"],
    ["NUL in transaction_id", { transaction_id: "TXN\u0000001" }, "transaction_id"],
    ["emoji card hash", { card_number_hash: "💳".repeat(32) }, "card_number_hash"],
    ["Cyrillic look-alike in currency", { currency: "UЅD" }, "currency"],
    ["fullwidth channel", { channel: "ＯＮＬＩＮＥ" }, "channel"],
    ["lone surrogate in merchant_id", { merchant_id: "MCH-\ud800" }, "merchant_id"],
    ["Arabic-Indic digits in the MCC", { merchant_category_code: "٥٤١١" }, "merchant_category_code"],
    ["Devanagari digits in card_bin", { card_bin: "४११११११" }, "card_bin"],
  ];
  for (const [name, over, field] of unicodeIds) single("unicode", name, txn(over), "VALIDATION_FAILED", field);

  // ---- oversized
  {
    const t = txn();
    cases.push({ name: "single body over 64 KiB (declared length)", category: "oversized", path: SINGLE, headers: JSON_CT, body: JSON.stringify({ ...t, pad: "y".repeat(70 * 1024) }), status: 413, code: "PAYLOAD_TOO_LARGE", pans: [], cards: [String(t.card_number_hash)] });
    const items = Array.from({ length: 3 }, () => txn({ device_fingerprint: "x".repeat(100) }));
    cases.push({ name: "batch body over 1 MiB", category: "oversized", path: BATCH, headers: JSON_CT, body: JSON.stringify({ transactions: items, pad: "z".repeat(1100 * 1024) }), status: 413, code: "PAYLOAD_TOO_LARGE", pans: [], cards: items.map((i) => String(i.card_number_hash)) });
    const pan = TEST_PANS[0] ?? "";
    cases.push({ name: "oversized body that also holds a card number", category: "oversized", path: SINGLE, headers: JSON_CT, body: JSON.stringify({ ...txn(), note: pan, pad: "y".repeat(70 * 1024) }), status: 413, code: "PAYLOAD_TOO_LARGE", pans: [pan], cards: [] });
    const chunk = new TextEncoder().encode(" ".repeat(16 * 1024));
    cases.push({
      name: "streamed body without a length over 64 KiB",
      category: "oversized",
      path: SINGLE,
      headers: JSON_CT,
      body: () => {
        let sent = 0;
        return new ReadableStream<Uint8Array>({ pull: (c) => (sent++ < 8 ? c.enqueue(chunk) : c.close()) });
      },
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
      pans: [],
      cards: [],
    });
  }

  // ---- unknown fields
  for (const extra of ["pan", "pan_last4", "cvv", "card_number", "expiry", "Transaction_ID", "amount", "__proto__x", "", "geo"]) {
    single("unknown fields", `unknown field ${JSON.stringify(extra)}`, txn({ [extra]: "x" }), "VALIDATION_FAILED", "(body)");
  }
  single("unknown fields", "unknown field inside geolocation", txn({ geolocation: { lat: 1, lon: 2, accuracy_m: 5 } }), "VALIDATION_FAILED", "geolocation");
  for (const extra of ["pan", "cvv"]) batchOf("unknown fields", `unknown field ${extra} in an item`, txn({ [extra]: "x" }), "VALIDATION_FAILED", undefined);
  {
    const items = [txn()];
    cases.push({ name: "unknown key beside transactions", category: "unknown fields", path: BATCH, headers: JSON_CT, body: JSON.stringify({ transactions: items, dry_run: true }), status: 400, code: "VALIDATION_FAILED", issuePath: "(body)", pans: [], cards: items.map((i) => String(i.card_number_hash)) });
  }

  // Each card hash in a case that was never valid still deserves the untouched check: hashes are
  // drawn fresh above; cases built on raw bodies list none.
  return cases.map((c) => ({ ...c, cards: c.cards.filter((h) => /^[0-9a-f]{64}$/.test(h)) }));
}

export { freshHash };

/** True when the issue paths name `want` or a path inside it. */
export function namesPath(paths: readonly string[], want: string): boolean {
  return paths.some((p) => p === want || p.startsWith(`${want}.`));
}
