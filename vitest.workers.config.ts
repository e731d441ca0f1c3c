import { createHash } from "node:crypto";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_OPS_TOKEN, TEST_TOKENS } from "./edge/testing/tokens.js";

// Tests that run inside the Workers runtime (workerd via Miniflare): the edge app through the real
// worker entry, the CardState Durable Object on SQLite storage, the queue producer/consumer.
// Bindings come from wrangler.toml (top-level env); test-only secrets are added here.

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

// Starts a signature-verifying ingest receiver, publishes the reference fixture through the
// Upstash REST bridge, and `provide`s their addresses (receiverUrl, forwardSecret, upstashUrl,
// upstashToken), so the worker's queue consumer has somewhere to post.
const forwardingSetup = "tests/testing/workers-global-setup.ts";
// The aggregator's rules API (PGlite, publishing to the same Redis) for tests/workers/rules-by-api.test.ts.
const rulesApiSetup = "tests/testing/rules-api-setup.ts";

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => {
      const provided = (key: string): string | undefined => {
        try {
          const v = inject<unknown>(key);
          return typeof v === "string" ? v : undefined;
        } catch {
          return undefined;
        }
      };
      return {
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // exports.default.queue() in tests (experimental flag, test-only).
          compatibilityFlags: ["service_binding_extra_handlers"],
          bindings: {
            REGION: "test",
            EDGE_TOKENS: JSON.stringify(
              Object.entries(TEST_TOKENS).map(([id, t]) => ({ id, sha256: sha256(t.token), channels: t.channels })),
            ),
            // The worker's own queue consumer posts to the forwarding receiver (namespace "worker").
            AGGREGATOR_URL: `${provided("receiverUrl") ?? "http://127.0.0.1:9"}/worker`,
            AGGREGATOR_SECRET: provided("forwardSecret") ?? "test-secret-without-receiver",
            EDGE_OPS_TOKENS: JSON.stringify([{ id: "ops-test", sha256: sha256(TEST_OPS_TOKEN) }]),
            // Forwarding retries compressed in time (production: 30 s doubling to 1 h).
            FORWARD_BACKOFF_BASE_SECONDS: "1",
            FORWARD_BACKOFF_MAX_SECONDS: "2",
            REFERENCE_SOURCE: "upstash",
            UPSTASH_REDIS_REST_URL: provided("upstashUrl") ?? "http://127.0.0.1:8079",
            UPSTASH_REDIS_REST_TOKEN: provided("upstashToken") ?? "vigil-local-token",
          },
          queueConsumers: { "vigil-scored-events": { maxBatchTimeout: 0.05 }, "vigil-scored-events-dlq": { maxBatchTimeout: 0.05 } },
        },
      };
    }),
  ],
  test: {
    include: ["edge/**/*.test.ts", "durable-objects/**/*.test.ts", "tests/workers/**/*.test.ts", "tests/scenarios/**/*.test.ts"],
    exclude: ["**/*.int.test.ts", "**/node_modules/**"],
    globalSetup: [forwardingSetup, rulesApiSetup],
    testTimeout: 60_000,
    // Files share the reference data in Redis (some reset the fixture, the scenarios add to it),
    // so they run one at a time; tests inside a file still share one workerd.
    fileParallelism: false,
    // Request logs of passing tests are noise; failing tests keep theirs.
    silent: "passed-only",
  },
});
