// The aggregator's public entry point for code outside aggregator/ (the operator CLI): what a
// tool needs to speak the ops API's input contracts, read the archive and the ops database, and
// administer tokens. Everything else in aggregator/ is internal and may move without notice;
// add a name here (with its reason) rather than importing a file below this folder.

// Label and list inputs as the ops API validates them, and its batch limits: the CLI checks a
// whole file before sending any of it.
export { LabelInputSchema, MAX_FEEDBACK_BATCH, type LabelInput } from "./risk/labels.js";
export { checkEntries, ListEntryInputSchema, MAX_LIST_BATCH, type ListEntryInput } from "./lists/lists.js";

// Ops API tokens (`vigil tokens`): roles, the digest OPS_BOOTSTRAP_TOKENS holds, and the stored
// tokens' administration.
export { ROLES, sha256Hex, type Role } from "./http/auth.js";
export { createOpsToken, listOpsTokens, revokeOpsToken, type StoredToken } from "./http/tokens.js";

// The ops database (PostgreSQL at a DATABASE_URL) as the aggregator reads it.
export { pgSqlClient } from "./stores/sql-client.js";
export type { SqlQuery } from "./ports/sql.js";
// The one labels query (current label per transaction), for `vigil backtest --labels-db`.
export { currentLabels } from "./risk/labels.js";

// The embedded profile's archive folder (S3 key layout) and the raw events in it (`vigil backtest --archive`).
export { createLocalArchive } from "./stores/local-archive.js";
export { readArchiveEvents } from "./stores/archive-events.js";

// The bus and its topics, for tools that follow a topic (`vigil consume-alerts` on Kafka), through
// the same client choice (KAFKA_CLIENT) as the aggregator.
export { createKafkaBusFor, KAFKA_CLIENTS, type KafkaClientName } from "./bus/kafka-client.js";
export { TOPICS, type Envelope } from "./ports/index.js";
