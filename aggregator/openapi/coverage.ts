import { honoToOpenApiPath } from "./builder.js";

// Used by tests: which routes an app registers that its OpenAPI document does not describe.

export interface OpenApiPaths {
  paths: Record<string, Record<string, unknown>>;
}

/** Every (method, path) a Hono app registers, less middleware (`use`) and method-not-allowed catch-alls (ALL). */
export function registeredRoutes(app: { routes: Array<{ method: string; path: string }> }): Array<{ method: string; path: string }> {
  const seen = new Set<string>();
  const out: Array<{ method: string; path: string }> = [];
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    const route = { method: r.method.toLowerCase(), path: honoToOpenApiPath(r.path) };
    const key = `${route.method} ${route.path}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(route);
    }
  }
  return out;
}

export function undocumented(doc: OpenApiPaths, app: { routes: Array<{ method: string; path: string }> }): string[] {
  return registeredRoutes(app)
    .filter((r) => !(r.method === "head" && doc.paths[r.path]?.get))
    .filter((r) => !doc.paths[r.path]?.[r.method])
    .map((r) => `${r.method.toUpperCase()} ${r.path}`);
}
