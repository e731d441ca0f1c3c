import type { Context } from "hono";
import type { EdgeDeps } from "../ports.js";

/** Liveness without auth: says only status, version and region (nothing a scanner could use). */
export function health(deps: EdgeDeps) {
  return (c: Context) =>
    c.json({
      status: "healthy",
      version: deps.config.VIGIL_VERSION,
      region: deps.config.REGION,
      time: new Date(deps.now()).toISOString(),
    });
}
