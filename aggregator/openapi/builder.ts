import { z } from "zod";

// A small OpenAPI 3.1 builder: route descriptors carry zod schemas, z.toJSONSchema turns them into
// JSON Schema 2020-12 (OpenAPI 3.1's own dialect). No framework: the apps stay plain Hono, and a
// test checks that every route an app registers is described here.

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete" | "head";

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteDoc {
  method: HttpMethod;
  /** OpenAPI form: /v1/transactions/{transaction_id}/fraud-verdict */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Names of security schemes (all required), or [] for public routes. */
  security: string[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, ResponseDoc>;
}

export interface ApiDoc {
  title: string;
  version: string;
  description: string;
  servers: Array<{ url: string; description: string }>;
  securitySchemes: Record<string, Record<string, unknown>>;
  routes: RouteDoc[];
}

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  // Transforms and refinements have no JSON Schema form: documented as their input/output types.
  const s = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as Json;
  delete s.$schema;
  return s;
}

function parameters(where: "path" | "query", obj: z.ZodObject | undefined): Json[] {
  if (!obj) return [];
  const schema = jsonSchema(obj, "input");
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === "path" ? true : required.has(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    };
  });
}

function operation(r: RouteDoc): Json {
  const responses: Json = {};
  for (const [status, res] of Object.entries(r.responses)) {
    responses[status] = {
      description: res.description,
      ...(res.schema ? { content: { [res.contentType ?? "application/json"]: { schema: jsonSchema(res.schema, "output") } } } : {}),
    };
  }
  const params = [...parameters("path", r.params), ...parameters("query", r.query)];
  return {
    operationId: r.operationId,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    tags: r.tags,
    security: r.security.length === 0 ? [] : [Object.fromEntries(r.security.map((s) => [s, []]))],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(r.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(r.body, "input") } } } } : {}),
    responses,
  };
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  jsonSchemaDialect: string;
  info: Json;
  servers: ApiDoc["servers"];
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Json>>;
  components: Json;
}

export function buildOpenApi(doc: ApiDoc): OpenApiDocument {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of doc.routes) {
    const item = (paths[r.path] ??= {});
    if (item[r.method]) throw new Error(`duplicate route ${r.method.toUpperCase()} ${r.path}`);
    item[r.method] = operation(r);
  }
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: { title: doc.title, version: doc.version, description: doc.description, license: { name: "Apache-2.0", identifier: "Apache-2.0" } },
    servers: doc.servers,
    tags: [...new Set(doc.routes.flatMap((r) => r.tags))].map((name) => ({ name })),
    paths,
    components: { securitySchemes: doc.securitySchemes },
  };
}

/** Hono route pattern (/v1/cases/:id) to OpenAPI (/v1/cases/{id}). */
export function honoToOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
}
