import type { z } from "zod";

// The one configuration error of Vigil (edge, forwarder, aggregator, CLI): which settings are
// wrong and why, never their values (they may be secrets). Thrown at the boundary where config is
// parsed once; each runtime decides how to report it (an HTTP 500 CONFIG_INVALID at the edge, a
// refusal to start in the aggregator, a queue retry in the forwarder).

export interface ConfigProblem {
  /** The setting's name as the operator writes it (e.g. KAFKA_SECURITY_PROTOCOL). */
  setting: string;
  message: string;
}

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  /** The names of the settings to change, without duplicates. */
  readonly settings: string[];
  constructor(
    /** What was being configured: "edge", "forwarding", "aggregator" … */
    readonly component: string,
    readonly problems: ConfigProblem[],
    /** Whether fixing the setting lets the same work through later (a queue message), not the request. */
    readonly retriable = false,
  ) {
    super(`invalid ${component} configuration: ${problems.map((p) => `${p.setting}: ${p.message}`).join("; ")}`);
    this.name = "ConfigError";
    this.settings = [...new Set(problems.map((p) => p.setting))];
  }
}

/** The problems of a failed zod parse of an env-like object, one per issue, named by the top-level key. */
export function configProblems(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((i) => ({
    setting: String(i.path[0] ?? "(env)"),
    message: i.path.length > 1 ? `${i.path.slice(1).map(String).join(".")}: ${i.message}` : i.message,
  }));
}
