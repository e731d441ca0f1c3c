import { PortError } from "./ports/index.js";

// One deadline helper for every outbound call that has no timeout of its own (or one that is not
// trusted to fire): the caller gets a retriable PortError after `ms`. The call itself cannot be
// cancelled and may still finish later — which is why every write behind it is idempotent.

/** The call did not answer in time; retriable (the dependency may be back later). */
export class DeadlineExceededError extends PortError {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`, true);
    this.name = "DeadlineExceededError";
  }
}

export async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(what, ms)), ms);
  });
  // A call that answers (or fails) after its deadline must not surface as an unhandled rejection.
  p.catch(() => undefined);
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
