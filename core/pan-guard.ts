// Vigil stores and logs card hashes only. This guard finds a raw card number (PAN) anywhere in an
// untrusted value (body, header, query string) so it can be refused before anything else sees it.
//
// What counts as a card number: 13–19 digits passing Luhn, written
//   - in any script's decimal digits (Unicode Nd: Arabic-Indic, Devanagari, fullwidth, …),
//   - with any separators between digit groups (space, tab, NBSP, dot, underscore, slash, any
//     dash including en/em dashes, invisible format characters; up to 3 in a row, so "4111  1111"
//     and "4111 – 1111" count),
//   - next to letters ("T4111111111111111", "PAN4111111111111111").
// Not searched: a token of 24+ hex characters with at least one a–f letter, i.e. a digest (SHA-256
// card hashes, hex device fingerprints): its digit runs are random, and refusing them would refuse
// about one card hash in a few thousand. ":" does not join groups, so times ("17:39:37.123+01:00")
// are not read as one number.

/** True when the digit string passes the Luhn (mod 10) check. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const ND = /^\p{Nd}$/u;
const LETTER = /^[\p{L}\p{M}]$/u;
/** Separators that never join digit groups: times and key:value pairs. */
const NOT_JOINING = new Set([":"]);
const MAX_SEPARATOR_RUN = 3;
const MIN_DIGEST_TOKEN = 24;

// Unicode keeps every script's digits 0–9 in contiguous runs of ten (checked over all Nd code
// points), so a digit's value is its distance from the start of its run, mod 10.
const digitValues = new Map<number, number>();

/** The decimal value of a code point in any script, or -1 when it is not a decimal digit. */
export function digitValue(cp: number): number {
  if (cp >= 48 && cp <= 57) return cp - 48;
  if (cp < 128) return -1;
  const known = digitValues.get(cp);
  if (known !== undefined) return known;
  let v = -1;
  if (ND.test(String.fromCodePoint(cp))) {
    let start = cp;
    while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
    v = (cp - start) % 10;
  }
  if (digitValues.size < 4096) digitValues.set(cp, v);
  return v;
}

// Each code point of the string becomes one cell: a digit value 0–9, or one of these kinds.
const LETTER_CELL = -1;
const SEP_CELL = -2;
const BREAK_CELL = -3;

function classifyCp(cp: number, ch: string): number {
  if (cp < 128) {
    if (cp >= 48 && cp <= 57) return cp - 48;
    if ((cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122)) return LETTER_CELL;
    return NOT_JOINING.has(ch) ? BREAK_CELL : SEP_CELL;
  }
  const d = digitValue(cp);
  if (d >= 0) return d;
  return LETTER.test(ch) ? LETTER_CELL : SEP_CELL;
}

const isHexLetter = (cp: number) => (cp >= 65 && cp <= 70) || (cp >= 97 && cp <= 102);

/** Cells of the string; digits inside digest-like hex tokens (24+ hex chars, one a–f at least) read as letters. */
function classify(s: string, ascii: boolean): Int8Array {
  const cps: number[] = [];
  const cells: number[] = [];
  if (ascii) {
    // One code unit per character: no iterator, no strings per character.
    for (let k = 0; k < s.length; k++) {
      const cp = s.charCodeAt(k);
      cps.push(cp);
      cells.push(cp === 58 ? BREAK_CELL : classifyCp(cp, ""));
    }
  } else {
    for (const ch of s) {
      const cp = ch.codePointAt(0) ?? 0;
      cps.push(cp);
      cells.push(classifyCp(cp, ch));
    }
  }
  let i = 0;
  while (i < cells.length) {
    if ((cells[i] ?? SEP_CELL) < LETTER_CELL) {
      i++;
      continue;
    }
    let j = i;
    let hexOnly = true;
    let hexLetter = false;
    while (j < cells.length && (cells[j] ?? SEP_CELL) >= LETTER_CELL) {
      const cp = cps[j] ?? 0;
      if (isHexLetter(cp)) hexLetter = true;
      else if (!(cp >= 48 && cp <= 57)) hexOnly = false;
      j++;
    }
    if (hexOnly && hexLetter && j - i >= MIN_DIGEST_TOKEN) cells.fill(LETTER_CELL, i, j);
    i = j;
  }
  return Int8Array.from(cells);
}

/** Digit groups joined by short separator runs: each inner array is one candidate number. */
function candidates(cells: Int8Array): string[][] {
  const out: string[][] = [];
  let groups: string[] = [];
  let group = "";
  let seps = 0;
  const endGroup = () => {
    if (group) groups.push(group);
    group = "";
  };
  const flush = () => {
    endGroup();
    if (groups.length > 0) out.push(groups);
    groups = [];
    seps = 0;
  };
  for (const c of cells) {
    if (c >= 0) {
      if (seps > 0) endGroup();
      seps = 0;
      group += String(c);
    } else if (c === SEP_CELL) {
      if (group || groups.length > 0) {
        seps++;
        if (seps > MAX_SEPARATOR_RUN) flush();
      }
    } else {
      flush();
    }
  }
  flush();
  return out;
}

/**
 * True when some run of consecutive groups holds 13–19 digits passing Luhn. Groups are not split:
 * a 20+ digit run without separators is an identifier, not a card number.
 */
function groupsHoldCard(groups: string[]): boolean {
  for (let a = 0; a < groups.length; a++) {
    let digits = "";
    for (let b = a; b < groups.length; b++) {
      digits += groups[b];
      if (digits.length > 19) break;
      if (digits.length >= 13 && luhnValid(digits)) return true;
    }
  }
  return false;
}

/** True when the string holds a 13–19 digit number (any script, any separators) that passes Luhn. */
export function containsCardNumber(s: string): boolean {
  if (s.length < 13) return false;
  // Fast paths: plain ASCII with fewer than 13 digits cannot hold one; a string that is one
  // digest token (24+ hex characters with a letter: a card hash) is not searched.
  let digits = 0;
  let ascii = true;
  let hexOnly = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else {
      if (c >= 128) ascii = false;
      if (!isHexLetter(c)) hexOnly = false;
    }
  }
  if (ascii && digits < 13) return false;
  if (hexOnly && digits < s.length && s.length >= MIN_DIGEST_TOKEN) return false;
  return candidates(classify(s, ascii)).some(groupsHoldCard);
}

/** The string with each part (between / ? & = #) holding a card number replaced by "[card-number]". */
export function maskCardNumbers(s: string): string {
  if (!containsCardNumber(s)) return s;
  const masked = s
    .split(/([/?&=#])/)
    .map((part) => (containsCardNumber(part) ? "[card-number]" : part))
    .join("");
  // A number spread over several parts ("4111/1111/1111/1111") survives the per-part pass.
  return containsCardNumber(masked) ? "[card-number]" : masked;
}

/**
 * Returns the JSON path of the first string (value or key) holding a card number, or undefined.
 * Depth is bounded so hostile nesting cannot exhaust the stack.
 */
export function findCardNumber(value: unknown, path = "", depth = 0): string | undefined {
  if (depth > 32) return undefined;
  if (typeof value === "string") return containsCardNumber(value) ? path || "(body)" : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findCardNumber(value[i], path ? `${path}.${i}` : String(i), depth + 1);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      // A key that is itself the number is named masked: paths are echoed in 400 answers and logs.
      if (containsCardNumber(k)) return path ? `${path}.[card-number]` : "[card-number]";
      const p = path ? `${path}.${k}` : k;
      const hit = findCardNumber(v, p, depth + 1);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

/**
 * Headers not searched by findCardNumberInRequest: the bearer token (a secret: compared by hash,
 * never logged) and what proxies add about the network path (lists of IP addresses read as digit
 * groups; never logged or stored).
 */
export const UNSEARCHED_HEADERS: ReadonlySet<string> = new Set([
  "authorization",
  "x-forwarded-for",
  "forwarded",
  "x-real-ip",
  "cf-connecting-ip",
  "cf-connecting-ipv6",
  "true-client-ip",
  "cf-ray",
  "cf-ipcountry",
  "cf-visitor",
  "cdn-loop",
  "cf-worker",
]);

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Where a request carries a card number outside its body: "path", "query:<name>" or
 * "header:<name>" (never the value), or undefined.
 */
export function findCardNumberInRequest(url: string, headers: Iterable<[string, string]>): string | undefined {
  const u = new URL(url);
  if (containsCardNumber(safeDecode(u.pathname))) return "path";
  return findCardNumberInQuery(u.searchParams) ?? findCardNumberInHeaders(headers, UNSEARCHED_HEADERS);
}

/** A request's path for a message or a log line, any card number in it masked. */
export function safeRequestPath(url: string): string {
  return maskCardNumbers(safeDecode(new URL(url).pathname));
}

/** The first header (by name) whose value holds a card number; `skip` names headers not searched. */
export function findCardNumberInHeaders(headers: Iterable<[string, string]>, skip: ReadonlySet<string>): string | undefined {
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    if (skip.has(n)) continue;
    if (containsCardNumber(value) || containsCardNumber(n)) return `header:${n}`;
  }
  return undefined;
}

/** The first query parameter (by name, masked if the name is the number) holding a card number. */
export function findCardNumberInQuery(search: URLSearchParams): string | undefined {
  for (const [k, v] of search) {
    if (containsCardNumber(k)) return "query:[card-number]";
    if (containsCardNumber(v)) return `query:${k}`;
  }
  return undefined;
}
