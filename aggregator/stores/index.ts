// The aggregator's store adapters, for the wiring code (server, consumers, ops).
export { createCassandraVerdictStore, type CassandraVerdictStoreOptions } from "./cassandra-verdict-store.js";
export { toCassandraPortError } from "./cassandra-errors.js";
export { createLocalArchive, toFsPortError } from "./local-archive.js";
export { openCassandra, openPglite, openPostgres } from "./open.js";
export { DEFAULT_RISK_TIERS, RiskTierConfigSchema, type RiskTierConfig } from "./risk.js";
export { createS3Archive, s3ClientFrom, S3ConfigSchema, toS3PortError, type S3ArchiveOptions, type S3Config } from "./s3-archive.js";
export { pgliteSqlClient, pgSqlClient, toSqlPortError } from "./sql-client.js";
export { createSqlSummaryStore, reportDateOf, type SqlSummaryStoreOptions } from "./sql-summary-store.js";
export { createSqlVerdictStore, pruneSqlHotStore, type SqlVerdictStoreOptions } from "./sql-verdict-store.js";
