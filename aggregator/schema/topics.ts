import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/**
 * Kafka topic specs from aggregator/schema/topics.json, the one place the topic layout is written down.
 * The aggregator creates its topics from these at start, and infra/scripts/init-schemas.sh uses
 * them for manual set-up, so both always agree.
 *
 * topics.json holds the production layout (64 partitions, RF 3, ...). A single local broker cannot
 * host RF 3 and gains nothing from 64 partitions, so the local profile lowers both through
 * options (or KAFKA_LOCAL_PARTITIONS / KAFKA_LOCAL_RF via localOverridesFromEnv) instead of a
 * second copy of the file. Lowering never raises: a topic with fewer partitions keeps its count.
 */

export const TOPICS_JSON_PATH = fileURLToPath(new URL("./topics.json", import.meta.url));

const topicNameSchema = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "not a valid Kafka topic name");

const topicFileSchema = z.object({
  $comment: z.string().optional(),
  topics: z
    .array(
      z.object({
        name: topicNameSchema,
        description: z.string().optional(),
        partitions: z.number().int().min(1),
        replicationFactor: z.number().int().min(1),
        configs: z.record(z.string(), z.string()).default({}),
      }),
    )
    .min(1)
    .refine((topics) => new Set(topics.map((t) => t.name)).size === topics.length, "topic names must be unique"),
});

export type TopicsFile = z.infer<typeof topicFileSchema>;

/** What a Kafka admin needs to create one topic (kafkajs `createTopics` takes the same fields). */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Broker topic configs, e.g. `retention.ms`, `compression.type`. Strings, as Kafka takes them. */
  configs: Record<string, string>;
}

export interface TopicLoadOptions {
  /** Upper bound on partitions per topic (local profile). */
  localPartitions?: number | undefined;
  /** Upper bound on the replication factor (local profile: 1 for a single broker). */
  localReplication?: number | undefined;
  /** Another topics file (tests). Defaults to aggregator/schema/topics.json. */
  file?: string | undefined;
}

const positiveInt = z.number().int().min(1);

/** Parses and validates a topics document; throws a ZodError naming the bad field. */
export function parseTopicsFile(json: unknown): TopicsFile {
  return topicFileSchema.parse(json);
}

/** Applies the local caps to parsed topics. Pure, for callers that already hold a TopicsFile. */
export function toTopicSpecs(file: TopicsFile, options: TopicLoadOptions = {}): TopicSpec[] {
  const maxPartitions = options.localPartitions === undefined ? undefined : positiveInt.parse(options.localPartitions);
  const maxReplication = options.localReplication === undefined ? undefined : positiveInt.parse(options.localReplication);
  return file.topics.map((topic) => {
    const replicationFactor = maxReplication === undefined ? topic.replicationFactor : Math.min(topic.replicationFactor, maxReplication);
    const configs = { ...topic.configs };
    // min.insync.replicas above the replication factor would make every acks=all write fail.
    const minIsr = configs["min.insync.replicas"];
    if (minIsr !== undefined && Number(minIsr) > replicationFactor) configs["min.insync.replicas"] = String(replicationFactor);
    return {
      name: topic.name,
      partitions: maxPartitions === undefined ? topic.partitions : Math.min(topic.partitions, maxPartitions),
      replicationFactor,
      configs,
    };
  });
}

/** Reads, validates and (optionally) lowers the topic layout. Synchronous: it is a small local file. */
export function loadTopicSpecs(options: TopicLoadOptions = {}): TopicSpec[] {
  const path = options.file ?? TOPICS_JSON_PATH;
  const raw: unknown = JSON.parse(readFileSync(path, "utf8"));
  return toTopicSpecs(parseTopicsFile(raw), options);
}

const envInt = z
  .string()
  .trim()
  .regex(/^\d+$/, "must be a positive integer")
  .transform(Number)
  .pipe(positiveInt)
  .optional();

/**
 * The local caps from the environment (KAFKA_LOCAL_PARTITIONS, KAFKA_LOCAL_RF; empty or unset
 * means no cap). infra/stack.env sets them to 4 and 1.
 */
export function localOverridesFromEnv(env: Record<string, string | undefined> = process.env): Pick<TopicLoadOptions, "localPartitions" | "localReplication"> {
  const blankToUndefined = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v);
  return {
    localPartitions: envInt.parse(blankToUndefined(env.KAFKA_LOCAL_PARTITIONS)),
    localReplication: envInt.parse(blankToUndefined(env.KAFKA_LOCAL_RF)),
  };
}
