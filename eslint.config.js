import tseslint from "typescript-eslint";

// core/ must run unchanged in Workers, Deno and Node, so runtime-specific modules stay out of it.
const runtimeImports = {
  patterns: [
    { group: ["node:*"], message: "core/ is runtime-neutral: no node:* imports." },
    { group: ["cloudflare:*"], message: "core/ is runtime-neutral: no cloudflare:* imports." },
    { group: ["kafkajs", "@platformatic/kafka", "pg", "pg-*", "cassandra-driver", "@aws-sdk/*", "@upstash/*", "@electric-sql/*", "ioredis", "redis"], message: "core/ is pure: I/O adapters live in edge/ or aggregator/." },
  ],
};

export default tseslint.config(
  // Deno-only files are outside tsconfig.json (Deno globals): `deno check` and `deno lint` cover them.
  { ignores: ["node_modules/**", ".cache/**", ".data/**", "dist/**", ".wrangler/**", "**/*.js", "**/*.mjs", "**/*.cjs", "edge/deno/**"] },
  {
    files: ["**/*.ts"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
    },
  },
  {
    files: ["core/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", runtimeImports],
      "no-restricted-globals": ["error",
        { name: "process", message: "core/ is runtime-neutral." },
        { name: "fetch", message: "core/ does no I/O." }],
      "no-restricted-properties": ["error",
        { object: "Date", property: "now", message: "core/ runs on event time: take time from the event." },
        { object: "Math", property: "random", message: "core/ uses seeded randomness only (core/random.ts)." }],
    },
  },
  {
    // Benchmarks and tests next to core/ run on Node only: they may read files, arguments and
    // clocks. The engine they import stays pure (core's generated files are written by the CLI).
    files: ["core/bench/**/*.ts", "core/**/*.test.ts"],
    rules: { "no-restricted-imports": "off", "no-restricted-globals": "off" },
  },
);
