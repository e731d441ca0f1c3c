// Vigil stores and logs card hashes only. This guard finds a raw card number (PAN) anywhere in an
// untrusted value so it can be refused before anything else sees it.

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

// A run of digits with optional single space or dash separators ("4111 1111-1111 1111"), not
// touching a letter or digit on either side: inside a hex hash digits sit next to a-f, so hashes
// are not mistaken for card numbers, while "TXN-4111111111111111" is still caught.
const CANDIDATE = /(?<![A-Za-z0-9])\d(?:[ -]?\d){12,18}(?![A-Za-z0-9]|[ -]\d)/g;

/** True when the string holds a 13–19 digit number that passes Luhn. */
export function containsCardNumber(s: string): boolean {
  if (s.length < 13) return false;
  for (const m of s.matchAll(CANDIDATE)) {
    const digits = m[0].replace(/[ -]/g, "");
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return true;
  }
  return false;
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
      const p = path ? `${path}.${k}` : k;
      if (containsCardNumber(k)) return p;
      const hit = findCardNumber(v, p, depth + 1);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}
