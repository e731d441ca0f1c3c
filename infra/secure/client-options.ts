/**
 * Client options for the secured stack, built from the settings infra/stack.sh writes to
 * $VIGIL_STACK_DIR/secure.env (operator-style names: KAFKA_SECURITY_PROTOCOL, CASSANDRA_SSL_CA, …).
 * Used by the stack's health checks (VIGIL_SECURE=1) and by secure-stack.secure.test.ts; the
 * aggregator will read the same names through its own config once it is taught them.
 *
 * Only plain data comes out of here: the callers import the client libraries themselves, lazily.
 */
import { readFileSync } from "node:fs";
import https from "node:https";

export type Settings = Readonly<Record<string, string | undefined>>;

export function setting(s: Settings, name: string): string {
  const value = s[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set (infra/stack.sh up --secure writes it to secure.env)`);
  return value;
}

const pem = (s: Settings, name: string): string => readFileSync(setting(s, name), "utf8");
// Secret files end with a newline (`openssl rand -hex`); the secret is the line.
const secretFile = (s: Settings, name: string): string => readFileSync(setting(s, name), "utf8").trim();

/** KEY=VALUE lines; `#` comments and blank lines skipped; the value is everything after the first `=`. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const eq = trimmed.indexOf("=");
    if (eq > 0) out[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return out;
}

interface Credentials {
  username: string;
  password: string;
}
// One member per mechanism, the shape kafkajs's SASLOptions union accepts.
export type KafkaSasl =
  | ({ mechanism: "plain" } & Credentials)
  | ({ mechanism: "scram-sha-256" } & Credentials)
  | ({ mechanism: "scram-sha-512" } & Credentials);

export interface KafkaSecurity {
  brokers: string[];
  ssl: { ca: string[]; cert: string; key: string };
  sasl: KafkaSasl;
}

export function kafkaSecurity(s: Settings): KafkaSecurity {
  const protocol = setting(s, "KAFKA_SECURITY_PROTOCOL");
  if (protocol !== "SASL_SSL") throw new Error(`KAFKA_SECURITY_PROTOCOL=${protocol}: the secure stack only speaks SASL_SSL`);
  const mechanism = setting(s, "KAFKA_SASL_MECHANISM").toLowerCase();
  const credentials = { username: setting(s, "KAFKA_SASL_USERNAME"), password: secretFile(s, "KAFKA_SASL_PASSWORD_FILE") };
  let sasl: KafkaSasl;
  if (mechanism === "plain" || mechanism === "scram-sha-256" || mechanism === "scram-sha-512") sasl = { mechanism, ...credentials };
  else throw new Error(`KAFKA_SASL_MECHANISM=${mechanism} is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512`);
  return {
    brokers: setting(s, "KAFKA_BROKERS").split(","),
    ssl: { ca: [pem(s, "KAFKA_SSL_CA_LOCATION")], cert: pem(s, "KAFKA_SSL_CERTIFICATE_LOCATION"), key: pem(s, "KAFKA_SSL_KEY_LOCATION") },
    sasl,
  };
}

export interface CassandraSecurity {
  contactPoints: string[];
  localDataCenter: string;
  username: string;
  password: string;
  sslOptions: { ca: string[] };
}

export function cassandraSecurity(s: Settings): CassandraSecurity {
  return {
    contactPoints: setting(s, "CASSANDRA_CONTACT_POINTS").split(","),
    localDataCenter: setting(s, "CASSANDRA_LOCAL_DC"),
    username: setting(s, "CASSANDRA_USERNAME"),
    password: secretFile(s, "CASSANDRA_PASSWORD_FILE"),
    sslOptions: { ca: [pem(s, "CASSANDRA_SSL_CA")] },
  };
}

export interface S3Security {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string };
  requestHandler: { httpsAgent: https.Agent };
}

export function s3Security(s: Settings): S3Security {
  const endpoint = setting(s, "S3_ENDPOINT");
  if (!endpoint.startsWith("https://")) throw new Error(`S3_ENDPOINT=${endpoint} is not https`);
  return {
    endpoint,
    region: setting(s, "S3_REGION"),
    forcePathStyle: setting(s, "S3_FORCE_PATH_STYLE") === "true",
    credentials: { accessKeyId: setting(s, "S3_ACCESS_KEY_ID"), secretAccessKey: setting(s, "S3_SECRET_ACCESS_KEY") },
    requestHandler: { httpsAgent: new https.Agent({ ca: pem(s, "S3_CA_BUNDLE") }) },
  };
}

export interface HttpReply {
  status: number;
  body: string;
}

/**
 * One HTTPS request trusting the given CA. (fetch only trusts NODE_EXTRA_CA_CERTS, which Node
 * reads at start-up, and a test runner has started long before.)
 */
export function httpsRequest(url: string, init: { method: string; headers: Record<string, string>; body?: string; ca: string }): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method, headers: init.headers, ca: init.ca, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
    req.on("error", reject);
    req.end(init.body);
  });
}

/** A command through the Upstash REST bridge over https with its bearer token. */
export function bridgeCommand(s: Settings, command: readonly string[], token = setting(s, "UPSTASH_REDIS_REST_TOKEN")): Promise<HttpReply> {
  const url = setting(s, "UPSTASH_REDIS_REST_URL");
  if (!url.startsWith("https://")) throw new Error(`UPSTASH_REDIS_REST_URL=${url} is not https`);
  return httpsRequest(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(command),
    ca: pem(s, "NODE_EXTRA_CA_CERTS"),
  });
}
