// The model lifecycle as a pure table, so the registry (SQL) and its tests share one definition.
// A model is trained once (training → candidate | failed); afterwards only the analyst-facing
// moves exist: shadow it beside the champion, promote it, or retire it. Promoting a retired
// version is how a rollback is spelled, so retired is not a dead end; failed is.

export const MODEL_STATUSES = ["training", "candidate", "shadow", "champion", "retired", "failed"] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];

export type ModelAction = "TRAIN" | "TRAINED" | "FAIL" | "SHADOW" | "PROMOTE" | "RETIRE" | "UNSHADOW";

const MOVES: Record<ModelStatus, Partial<Record<ModelAction, ModelStatus>>> = {
  training: { TRAINED: "candidate", FAIL: "failed" },
  candidate: { SHADOW: "shadow", PROMOTE: "champion", RETIRE: "retired" },
  // UNSHADOW: displaced by another shadow; it stays a candidate that can be shadowed again.
  shadow: { PROMOTE: "champion", UNSHADOW: "candidate", RETIRE: "retired" },
  champion: { RETIRE: "retired" },
  retired: { PROMOTE: "champion", SHADOW: "shadow" },
  failed: {},
};

/** The status `action` leads to from `from`, or undefined when the move is not allowed. */
export function nextStatus(from: ModelStatus, action: ModelAction): ModelStatus | undefined {
  return MOVES[from][action];
}

export class ModelTransitionError extends Error {
  constructor(
    readonly version: string,
    readonly from: ModelStatus,
    readonly action: ModelAction,
  ) {
    super(`model ${version} is ${from}: ${action.toLowerCase()} is not allowed`);
    this.name = "ModelTransitionError";
  }
}

export class ModelNotFoundError extends Error {
  constructor(readonly version: string) {
    super(`unknown model ${version}`);
    this.name = "ModelNotFoundError";
  }
}

/** Model versions: safe as an S3 key segment, a Redis key suffix and a URL path segment. */
export const MODEL_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
