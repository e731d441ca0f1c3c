// Development values Vigil ships (.dev.vars.example, aggregator/config.ts defaults, infra/stack.env):
// fine on a laptop, never in production. The edge and the aggregator refuse them at start-up
// outside the local profiles (edge: VIGIL_ENV=local; aggregator: VIGIL_PROFILE=embedded or
// VIGIL_ENV=local). Values here are public by construction: they are in the repository.

/** SHA-256 of "dev-token-change-me", the example bearer token of .dev.vars.example. */
export const DEV_EDGE_TOKEN_SHA256 = "f01d2474fd375b4c5eb46064b550034167661b86322f1e1d3cb7645512a06607";

/** HMAC secrets, tokens and keys shipped as examples or defaults. */
export const DEV_SECRETS: ReadonlySet<string> = new Set([
  "dev-aggregator-secret-change-me",
  "dev-eu-aggregator-secret-change-me",
  "vigil-local-token",
  "vigil-local",
  "vigil-local-secret",
]);

/** True for a shipped development secret or any placeholder that says to change it. */
export function isDevSecret(value: string): boolean {
  return DEV_SECRETS.has(value) || /change[-_ ]?me/i.test(value);
}

/** True for a URL whose scheme is plain http (an aggregator, snapshot or Redis REST endpoint in production must be https). */
export function isPlainHttp(url: string): boolean {
  return /^http:\/\//i.test(url.trim());
}

/** True for a postgres:// URL that carries no password (trust or peer auth: a laptop's database). */
export function isPasswordlessDatabaseUrl(url: string): boolean {
  try {
    return new URL(url).password === "";
  } catch {
    return false;
  }
}
