import { KAFKA_CLIENTS, type KafkaClientName } from "../config.js";
import { createKafkaBus, type KafkaBus, type KafkaBusOptions } from "./kafka-bus.js";
import { createPlatformaticBus } from "./platformatic-bus.js";

/**
 * The two Kafka clients behind the EventBus port (config KAFKA_CLIENT): `kafkajs` (kafka-bus.ts,
 * unmaintained upstream) and `platformatic` (@platformatic/kafka, platformatic-bus.ts). Both pass
 * the same contract suite (kafka-bus.int.test.ts); the default (config.ts) is the one measured
 * faster (README, "Measured figures"): platformatic.
 */
export { KAFKA_CLIENTS, type KafkaClientName };

export function createKafkaBusFor(client: KafkaClientName, options: KafkaBusOptions): KafkaBus {
  return client === "platformatic" ? createPlatformaticBus(options) : createKafkaBus(options);
}
