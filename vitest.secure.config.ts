import { defineConfig } from "vitest/config";

// Tests against the secured stack (`npm run stack:up -- --secure`): TLS and credentials from
// $VIGIL_STACK_DIR/secure.env. Kept apart from vitest.int.config.ts, which needs only the
// plaintext stack.
export default defineConfig({
  test: {
    include: ["infra/secure/**/*.secure.test.ts"],
    exclude: ["**/node_modules/**", ".cache/**", ".data/**"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
