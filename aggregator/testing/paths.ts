import { fileURLToPath } from "node:url";

/** Schema folders, resolved from this file so tests work from any working directory. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../schema/postgres", import.meta.url));
export const CQL_DIR = fileURLToPath(new URL("../schema/cassandra", import.meta.url));
