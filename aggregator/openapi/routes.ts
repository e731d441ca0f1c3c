import { Hono } from "hono";
import { aggregatorOpenApi } from "./aggregator-api.js";
import { edgeOpenApi } from "./edge-api.js";
import { DOCS_HTML } from "./docs-page.js";

// Public, unauthenticated: the API description contains no data. Documents are built once.

export function openApiRoutes(version?: string): Hono {
  const app = new Hono();
  const agg = aggregatorOpenApi(version);
  const edge = edgeOpenApi(version);
  app.get("/openapi.json", (c) => c.json(agg));
  app.get("/openapi/edge.json", (c) => c.json(edge));
  app.get("/docs", (c) => {
    c.header("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'");
    return c.html(DOCS_HTML);
  });
  return app;
}
