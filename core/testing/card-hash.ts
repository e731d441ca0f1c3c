import { cardHashOf } from "../sim/handbook/to-events.js";

// Card hashes for tests: the edge accepts SHA-256 digests only (64 hex), so fixtures derive one
// from a readable label (stable per label) or draw a fresh one.

/** A stable 64-hex card hash for a label ("card-conf-run1-burst"). */
export function testCardHash(label: string): string {
  let h = 0;
  for (let i = 0; i < label.length; i++) h = (Math.imul(h, 31) + label.charCodeAt(i)) | 0;
  return cardHashOf(h >>> 0, label.length);
}

/** A fresh 64-hex card hash (two random UUIDs), so tests never share a Durable Object. */
export function freshCardHash(): string {
  return `${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll("-", "");
}
