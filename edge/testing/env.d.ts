/// <reference types="@cloudflare/vitest-plugin/types" />
import type { Env as WorkerEnv } from "../workers/entry.js";

// Types `env` and `exports` from "cloudflare:workers" in Workers-runtime tests.
declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("../workers/entry.js");
      durableNamespaces: "CardState";
    }
    interface Env extends WorkerEnv {}
  }
}
