import { describe, expect, it } from "vitest";
import { createApp as createEdgeApp } from "../../edge/app.js";
import type { EdgeDeps } from "../../edge/ports.js";
import { createApp as createAggregatorApp } from "../../aggregator/app.js";
import { createMetrics } from "../../aggregator/metrics.js";
import type { EventBus } from "../../aggregator/ports/index.js";
import type { OpsDeps } from "../../aggregator/ops/deps.js";
import { createOpsRoutes } from "../../aggregator/ops/routes.js";
import { aggregatorOpenApi } from "../../aggregator/openapi/aggregator-api.js";
import { registeredRoutes, undocumented, type OpenApiPaths } from "../../aggregator/openapi/coverage.js";
import { edgeOpenApi } from "../../aggregator/openapi/edge-api.js";
import { openApiRoutes } from "../../aggregator/openapi/routes.js";

type Op = { parameters?: Array<{ name: string; in: string; required: boolean }>; requestBody?: unknown };
type Doc = OpenApiPaths & { openapi: string; paths: Record<string, Record<string, Op>> };

describe("OpenAPI documents", () => {
  it("are OpenAPI 3.1 with JSON Schema from the zod schemas", () => {
    const agg = aggregatorOpenApi() as unknown as Doc;
    expect(agg.openapi).toBe("3.1.0");
    expect(JSON.stringify(agg.paths["/v1/feedback"]?.post?.requestBody)).toContain("CHARGEBACK");
    expect(agg.paths["/v1/cards/{card_hash}/fraud-history"]?.get?.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "card_hash", in: "path", required: true }),
        expect.objectContaining({ name: "limit", in: "query", required: false }),
      ]),
    );
    // The review queue (cases per card): list filters and sorts, assignment with compare-and-set.
    expect(agg.paths["/v1/review/cases"]?.get?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(["status", "assignee", "sort", "cursor", "limit"]));
    expect(JSON.stringify(agg.paths["/v1/review/cases/{id}/assign"]?.post?.requestBody)).toContain("expected_assignee");
    for (const action of ["claim", "assign", "release", "notes", "decision"]) expect(agg.paths[`/v1/review/cases/{id}/${action}`]?.post).toBeDefined();
    const edge = edgeOpenApi() as unknown as Doc;
    expect(JSON.stringify(edge.paths["/v1/transactions/score"]?.post?.requestBody)).toContain("card_number_hash");
  });

  it("describes the allow/block list routes and the decision's add_to_list", () => {
    const agg = aggregatorOpenApi() as unknown as Doc;
    const lists = agg.paths["/v1/lists/{list}/entries"];
    expect(Object.keys(lists ?? {}).sort()).toEqual(["delete", "get", "post"]);
    expect(lists?.delete?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: "value", in: "query", required: true })]));
    expect(JSON.stringify(lists?.post?.parameters)).toContain("block-card");
    expect(JSON.stringify(agg.paths["/v1/review/cases/{id}/decision"]?.post?.requestBody)).toContain("add_to_list");
  });

  it("serves /openapi.json, /openapi/edge.json and a self-contained /docs page", async () => {
    const app = openApiRoutes();
    const doc = (await (await app.request("/openapi.json")).json()) as unknown as Doc;
    expect(Object.keys(doc.paths)).toContain("/v1/review/cases");
    expect(((await (await app.request("/openapi/edge.json")).json()) as unknown as Doc).paths["/v1/transactions/score/batch"]).toBeDefined();
    const html = await (await app.request("/docs")).text();
    expect(html).toContain("/openapi.json");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);
  });

  // Route registration does not touch the dependencies, so empty ones are enough to list routes.
  it("describes every route the edge app registers", () => {
    const edge = createEdgeApp({} as EdgeDeps);
    expect(registeredRoutes(edge).length).toBeGreaterThanOrEqual(3);
    expect(undocumented(edgeOpenApi(), edge)).toEqual([]);
  });

  it("describes every route of the ops API and the docs routes", () => {
    const ops = createOpsRoutes({} as OpsDeps);
    expect(registeredRoutes(ops).length).toBeGreaterThanOrEqual(10);
    expect(undocumented(aggregatorOpenApi(), ops)).toEqual([]);
    expect(undocumented(aggregatorOpenApi(), openApiRoutes())).toEqual([]);
  });

  it("describes every route the aggregator app registers (ingest, healthz, metrics)", () => {
    const app = createAggregatorApp({
      bus: {} as EventBus,
      ingest: { secret: "0123456789abcdef0123", maxSkewSeconds: 300, maxBodyBytes: 1 << 20 },
      metrics: createMetrics({ defaults: false }),
    });
    expect(registeredRoutes(app).map((r) => r.path)).toEqual(expect.arrayContaining(["/v1/ingest", "/metrics", "/healthz"]));
    expect(undocumented(aggregatorOpenApi(), app)).toEqual([]);
  });
});
