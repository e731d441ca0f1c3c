import { NO_COUNTRY, countryCode, countryId } from "../geo/geo.js";
import { CardWindow, ID_REC, MAX_DEVICES, REC } from "./card-window.js";

/**
 * Binary CardWindow for hot storage (the Durable Object writes it on every event): the state's own
 * numbers and packed Float64Arrays copied as doubles, no JSON, no per-record objects. ~5× cheaper
 * to encode than `encodeCardState` and exact (doubles are copied, not printed).
 *
 * Written generically: the layout is discovered from a fresh `CardWindow.empty()` (own fields in
 * declaration order, nested plain objects such as the baseline walked the same way), so a field the
 * core adds is carried without touching this file. A layout fingerprint (field paths, kinds, fresh
 * array lengths) sits in the header; a blob of another layout is refused with an error naming
 * both, never decoded into the wrong fields. A layout change therefore needs the JSON codec
 * (`encodeCardState`, versioned, with migrations) to move old state — or cards start afresh.
 *
 * Country ids are per process (geo.ts assigns them on first use), so the fields holding one are
 * stored as their ISO code packed into the double (up to 4 ASCII characters, −1 for none).
 *
 * Header (16 bytes): "VCSB", format version (u8), 3 reserved bytes, layout fingerprint (u32 LE),
 * 4 reserved bytes. Body: per field, a number as one double, an array as its length then its
 * doubles. Doubles are in platform order (little-endian on every Workers / Deno / Node target).
 */
export const BINARY_FORMAT_VERSION = 1;
const MAGIC = [0x56, 0x43, 0x53, 0x42];
const HEADER_BYTES = 16;

/** Where country ids live: a scalar field, or a column of a record array (stride, offset). */
const COUNTRY_SCALARS = new Set(["anchorCountry"]);
const COUNTRY_COLUMNS = new Map<string, { stride: number; offset: number }>([["rec", { stride: REC, offset: 3 }]]);

type Field = { path: string[]; kind: "num" | "f64" };

function discover(obj: object, prefix: string[], out: Field[], desc: string[]): void {
  for (const [key, value] of Object.entries(obj)) {
    const path = [...prefix, key];
    if (typeof value === "number") {
      out.push({ path, kind: "num" });
      desc.push(`${path.join(".")}:n`);
    } else if (value instanceof Float64Array) {
      out.push({ path, kind: "f64" });
      desc.push(`${path.join(".")}:f64[${value.length}]`);
    } else if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value) && !Array.isArray(value)) {
      discover(value as object, path, out, desc);
    } else {
      throw new Error(`binary card state: field ${path.join(".")} is neither a number, a Float64Array nor a plain object`);
    }
  }
}

const FIELDS: Field[] = [];
const LAYOUT_DESC: string[] = [];
discover(CardWindow.empty(), [], FIELDS, LAYOUT_DESC);
/** FNV-1a over the layout description: changes when a field is added, renamed, retyped or resized. */
export const LAYOUT_FINGERPRINT = fingerprint(LAYOUT_DESC);

/**
 * The layout before card-state format 2 (no IP/MCC lists, devices as [hash, last seen] pairs):
 * still read, and migrated as the JSON codec migrates format 1 (devices long known, IP/MCC novelty
 * off for 14 days of event time after the watermark), so Durable Objects holding such blobs keep
 * their windows instead of failing to load.
 */
const V1_NEW_FIELDS = new Set(["ips", "ipLen", "mccs", "mccLen", "noveltyFromMs"]);
const V1_FIELDS = FIELDS.filter((f) => !(f.path.length === 1 && V1_NEW_FIELDS.has(f.path[0] as string)));
const V1_DEV_LENGTH = MAX_DEVICES * 2;
export const V1_LAYOUT_FINGERPRINT = fingerprint(
  LAYOUT_DESC.filter((d) => !V1_NEW_FIELDS.has(d.split(":")[0] as string)).map((d) => (d.startsWith("dev:") ? `dev:f64[${V1_DEV_LENGTH}]` : d)),
);

function fingerprint(desc: string[]): number {
  let h = 0x811c9dc5;
  for (const ch of desc.join(";")) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

type Holder = Record<string, unknown>;

function holderOf(root: CardWindow, path: string[]): Holder {
  let o = root as unknown as Holder;
  for (let i = 0; i < path.length - 1; i++) o = o[path[i] as string] as Holder;
  return o;
}

function packCountry(id: number): number {
  // Slots outside the live records may hold anything; an id with no code is no country.
  const code = id < 0 ? undefined : countryCode(id);
  if (code === undefined) return -1;
  if (code.length > 4 || !/^[\x20-\x7e]+$/.test(code)) throw new Error(`binary card state: country ${JSON.stringify(code)} cannot be packed`);
  let x = 0;
  for (let i = 0; i < code.length; i++) x = x * 256 + code.charCodeAt(i);
  return x;
}

function unpackCountry(x: number): number {
  if (x === -1) return NO_COUNTRY;
  if (!Number.isInteger(x) || x <= 0 || x >= 2 ** 32) throw new Error(`binary card state: bad packed country ${x}`);
  let code = "";
  for (let v = x; v > 0; v = Math.floor(v / 256)) code = String.fromCharCode(v % 256) + code;
  return countryId(code);
}

export function encodeCardStateBinary(s: CardWindow): Uint8Array {
  let doubles = 0;
  for (const f of FIELDS) {
    const v = holderOf(s, f.path)[f.path[f.path.length - 1] as string];
    doubles += f.kind === "num" ? 1 : 1 + (v as Float64Array).length;
  }
  const buf = new ArrayBuffer(HEADER_BYTES + 8 * doubles);
  const bytes = new Uint8Array(buf);
  bytes.set(MAGIC, 0);
  bytes[4] = BINARY_FORMAT_VERSION;
  new DataView(buf).setUint32(8, LAYOUT_FINGERPRINT, true);
  const body = new Float64Array(buf, HEADER_BYTES);
  let at = 0;
  for (const f of FIELDS) {
    const name = f.path[f.path.length - 1] as string;
    const v = holderOf(s, f.path)[name];
    if (f.kind === "num") {
      body[at++] = COUNTRY_SCALARS.has(name) && f.path.length === 1 ? packCountry(v as number) : (v as number);
      continue;
    }
    const arr = v as Float64Array;
    body[at++] = arr.length;
    body.set(arr, at);
    const col = f.path.length === 1 ? COUNTRY_COLUMNS.get(name) : undefined;
    if (col) for (let i = col.offset; i < arr.length; i += col.stride) body[at + i] = packCountry(arr[i] ?? NO_COUNTRY);
    at += arr.length;
  }
  return bytes;
}

export function decodeCardStateBinary(input: Uint8Array | ArrayBuffer): CardWindow {
  const src = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (src.byteLength < HEADER_BYTES || MAGIC.some((m, i) => src[i] !== m)) throw new Error("binary card state: not a VCSB blob");
  if (src[4] !== BINARY_FORMAT_VERSION) throw new Error(`binary card state: format ${src[4]} (this build reads ${BINARY_FORMAT_VERSION})`);
  if ((src.byteLength - HEADER_BYTES) % 8 !== 0) throw new Error("binary card state: truncated");
  // Float64Array needs 8-byte alignment; a view at an odd offset is copied once.
  const aligned = src.byteOffset % 8 === 0 ? src : src.slice();
  const layout = new DataView(aligned.buffer, aligned.byteOffset, HEADER_BYTES).getUint32(8, true);
  const v1 = layout === V1_LAYOUT_FINGERPRINT;
  if (layout !== LAYOUT_FINGERPRINT && !v1) {
    throw new Error(`binary card state: layout ${layout.toString(16)} is not this build's ${LAYOUT_FINGERPRINT.toString(16)} (nor the migrated ${V1_LAYOUT_FINGERPRINT.toString(16)})`);
  }
  const body = new Float64Array(aligned.buffer, aligned.byteOffset + HEADER_BYTES, (aligned.byteLength - HEADER_BYTES) / 8);
  const s = CardWindow.empty();
  let at = 0;
  const next = () => {
    if (at >= body.length) throw new Error("binary card state: truncated");
    return body[at++] as number;
  };
  for (const f of v1 ? V1_FIELDS : FIELDS) {
    const name = f.path[f.path.length - 1] as string;
    const holder = holderOf(s, f.path);
    if (f.kind === "num") {
      const x = next();
      holder[name] = COUNTRY_SCALARS.has(name) && f.path.length === 1 ? unpackCountry(x) : x;
      continue;
    }
    const len = next();
    if (!Number.isInteger(len) || len < 0 || at + len > body.length) throw new Error(`binary card state: bad length for ${f.path.join(".")}`);
    const fresh = holder[name] as Float64Array;
    // Same length: fill in place (keeps readonly arrays); else a grown buffer (the recent ring).
    const target = fresh.length === len ? fresh : new Float64Array(len);
    target.set(body.subarray(at, at + len));
    const col = f.path.length === 1 ? COUNTRY_COLUMNS.get(name) : undefined;
    if (col) for (let i = col.offset; i < len; i += col.stride) target[i] = unpackCountry(target[i] ?? -1);
    if (target !== fresh) holder[name] = target;
    at += len;
  }
  if (at !== body.length) throw new Error("binary card state: trailing data");
  if (v1) migrateV1(s);
  return s;
}

/** Devices [hash, last seen] → [hash, last seen, first seen unknown]; novelty from the watermark. */
function migrateV1(s: CardWindow): void {
  const old = s.dev;
  if (old.length !== V1_DEV_LENGTH) throw new Error(`binary card state: bad length for dev (${old.length})`);
  const dev = new Float64Array(MAX_DEVICES * ID_REC);
  for (let i = 0; i < MAX_DEVICES; i++) dev.set([old[2 * i] ?? 0, old[2 * i + 1] ?? 0, -Infinity], ID_REC * i);
  (s as unknown as Holder).dev = dev;
  s.noveltyFromMs = s.watermarkMs;
}
