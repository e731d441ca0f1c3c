/// <reference types="@cloudflare/vitest-plugin/types" />
import type { Env as WorkerEnv } from "../worker.js";

// Types `env` and `exports` from "cloudflare:workers" in Workers-runtime tests.
declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("../worker.js");
      durableNamespaces: "CardState";
    }
    interface Env extends WorkerEnv {}
  }
}
