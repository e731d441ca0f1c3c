import { defineConfig } from "vitest/config";

// Integration tests talk to real Kafka, Cassandra, PostgreSQL, S3Proxy and Redis started by
// infra/stack.sh. Files run one at a time: they share those servers.
export default defineConfig({
  test: {
    include: ["**/*.int.test.ts"],
    exclude: ["**/node_modules/**", ".cache/**", ".data/**"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 240_000,
  },
});
