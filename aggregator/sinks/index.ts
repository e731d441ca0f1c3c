// Sink handlers for the consumer runner (one call per partition batch, commit after it resolves).
export { archiveKey, createArchiveSink, hourPath, type ArchiveSinkOptions } from "./archive-sink.js";
export { DEFAULT_ARCHIVE_PREFIXES } from "../stores/archive-keys.js";
export { parseBatch, PoisonMessageError } from "./parse.js";
export { createHotStoreSink, createSummarySink, type BatchHandler } from "./store-sinks.js";
