// The ports the aggregator owns. Production adapters (Kafka, Cassandra, PostgreSQL, S3) and the
// embedded ones (in-process bus, PGlite, local folder) implement exactly these shapes, and one
// contract suite per port runs against every adapter on real instances.

export * from "./errors.js";
export * from "./bus.js";
export * from "./stores.js";
export * from "./sql.js";
export * from "./health.js";
