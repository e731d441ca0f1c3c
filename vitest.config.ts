import { defineConfig } from "vitest/config";

// Pure and in-process tests: no external server. Workers-runtime tests live in
// vitest.workers.config.ts, tests against real servers in vitest.int.config.ts.
export default defineConfig({
  test: {
    include: ["core/**/*.test.ts", "aggregator/**/*.test.ts", "cli/**/*.test.ts", "tests/architecture/**/*.test.ts", "tests/contracts/**/*.test.ts", "infra/**/*.test.ts"],
    exclude: ["**/*.int.test.ts", "**/*.secure.test.ts", "**/node_modules/**"],
    environment: "node",
    testTimeout: 60_000,
  },
});
