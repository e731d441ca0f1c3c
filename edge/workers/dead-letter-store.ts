import type { DeadLetterBox } from "../../durable-objects/dead-letter-box.js";
import type { DeadLetterStore, ParkedLetter } from "../../core/contracts/forwarding.js";

// The Workers DeadLetterStore: the region's DeadLetterBox object (name `dlq:<region>`) in the
// namespace the vigil-card-state Worker owns (bound with script_name, like CARD_STATE). The EU
// region's dead letters hold EU-home cards' events, so its box lives in the EU jurisdiction.

export function deadLetterBoxStore(ns: DurableObjectNamespace<DeadLetterBox>, region: string, euJurisdiction: boolean): DeadLetterStore {
  // Taken on first use (a dead letter or an ops call), not when the app is built: where
  // jurisdictions do not exist that use fails, not every scoring request.
  let target: DurableObjectNamespace<DeadLetterBox> | undefined;
  const stub = () => {
    target ??= euJurisdiction ? ns.jurisdiction("eu") : ns;
    return target.get(target.idFromName(`dlq:${region}`));
  };
  return {
    park: async (letters) => (await stub().park(letters)) as number,
    list: async (opts) => (await stub().list(opts)) as { total: number; letters: ParkedLetter[] },
    remove: async (ids) => (await stub().remove(ids)) as number,
  };
}

/** The store of this env's region; undefined when the binding is missing (the DLQ consumer then retries). */
export function regionDeadLetters(env: { DEAD_LETTERS?: DurableObjectNamespace<DeadLetterBox>; REGION?: unknown; EU_CARD_JURISDICTION?: unknown }): DeadLetterStore | undefined {
  if (!env.DEAD_LETTERS) return undefined;
  const region = typeof env.REGION === "string" && env.REGION !== "" ? env.REGION : "local";
  return deadLetterBoxStore(env.DEAD_LETTERS, region, region === "eu" && env.EU_CARD_JURISDICTION !== "none");
}
