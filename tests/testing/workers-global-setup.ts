import type { TestProject } from "vitest/node";
import { deadLoopbackUrl, startIngestReceiver } from "./ingest-receiver.js";
import { fixtureRedis, LOCAL_UPSTASH_TOKEN, LOCAL_UPSTASH_URL, publishReference } from "./reference-fixture.js";

// Global setup of the Workers-runtime tests (runs in Node, not workerd): a real HTTP receiver
// standing in for the aggregator's /v1/ingest, a loopback URL nothing listens on, and the
// reference fixture published to the real Redis through the local Upstash REST bridge.

export const FORWARD_TEST_SECRET = "vigil-test-forward-secret-0001";

declare module "vitest" {
  export interface ProvidedContext {
    receiverUrl: string;
    deadUrl: string;
    forwardSecret: string;
    upstashUrl: string;
    upstashToken: string;
    /** Set when the fixture could not be published (bridge down): reference tests fail with it. */
    upstashError: string;
    /** refdata version after publishing the fixture. */
    referenceVersion: number;
  }
}

async function publishFixture(url: string, token: string): Promise<number> {
  const redis = fixtureRedis(url, token);
  let lastError: unknown;
  // The bridge may still be starting when the suite begins.
  for (let i = 0; i < 20; i++) {
    try {
      return await publishReference(redis);
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const receiver = await startIngestReceiver(FORWARD_TEST_SECRET);
  provide("receiverUrl", receiver.url);
  provide("deadUrl", await deadLoopbackUrl());
  provide("forwardSecret", FORWARD_TEST_SECRET);

  const upstashUrl = process.env.VIGIL_UPSTASH_URL ?? LOCAL_UPSTASH_URL;
  const upstashToken = process.env.VIGIL_UPSTASH_TOKEN ?? LOCAL_UPSTASH_TOKEN;
  provide("upstashUrl", upstashUrl);
  provide("upstashToken", upstashToken);
  try {
    provide("referenceVersion", await publishFixture(upstashUrl, upstashToken));
    provide("upstashError", "");
  } catch (err) {
    const msg = `Upstash bridge at ${upstashUrl} not usable (${err instanceof Error ? err.message : String(err)}); start it: bash infra/stack.sh up redis upstash-bridge`;
    console.error(msg);
    provide("referenceVersion", -1);
    provide("upstashError", msg);
  }
  return () => receiver.close();
}
