import type { Channel } from "../../core/schemas.js";

// Bearer tokens the Workers tests configure (vitest.workers.config.ts hashes them into EDGE_TOKENS).
// Test-only values: never deployed.
export const TEST_TOKENS = {
  "gw-online": { token: "test-online-3c1f9a0e7b5d4c2a", channels: ["ONLINE", "MOBILE"] as Channel[] },
  "gw-store": { token: "test-store-8e2b6d4f1a3c5e7b", channels: ["IN_STORE", "ATM"] as Channel[] },
} as const;

/** The operator token of the Workers tests (EDGE_OPS_TOKENS): dead-letter list and redrive. */
export const TEST_OPS_TOKEN = "test-ops-5d7e9f1a3b5c7d9e";
