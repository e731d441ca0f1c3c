/**
 * Sets up the secured Cassandra's roles, once: a new super user replaces the well-known
 * cassandra/cassandra one (which is then disabled), and the application gets a login role.
 * Idempotent: when the new super user can already log in, only the app role is checked.
 *
 *   tsx infra/secure/cassandra-roles.ts [--wait SECONDS]
 *
 * Reads the secure.env settings (CASSANDRA_CONTACT_POINTS, CASSANDRA_SSL_CA, CASSANDRA_USERNAME,
 * CASSANDRA_PASSWORD_FILE, …) plus CASSANDRA_ADMIN_USERNAME and CASSANDRA_ADMIN_PASSWORD_FILE.
 */
import cassandra from "cassandra-driver";
import { readFileSync } from "node:fs";
import { cassandraSecurity, setting } from "./client-options.js";

const DEFAULT_SUPERUSER = "cassandra";

const app = cassandraSecurity(process.env);
const admin = {
  username: setting(process.env, "CASSANDRA_ADMIN_USERNAME"),
  password: readFileSync(setting(process.env, "CASSANDRA_ADMIN_PASSWORD_FILE"), "utf8").trim(),
};

// Role names and hex passwords from our own files; still quoted the CQL way.
const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;

function connect(username: string, password: string): cassandra.Client {
  return new cassandra.Client({
    contactPoints: app.contactPoints,
    localDataCenter: app.localDataCenter,
    authProvider: new cassandra.auth.PlainTextAuthProvider(username, password),
    sslOptions: app.sslOptions,
    socketOptions: { connectTimeout: 2000, readTimeout: 10_000 },
    policies: { reconnection: new cassandra.policies.reconnection.ConstantReconnectionPolicy(60_000) },
  });
}

function isAuthFailure(err: unknown): boolean {
  if (!(err instanceof cassandra.errors.NoHostAvailableError)) return false;
  return Object.values(err.innerErrors).some((e) => e instanceof cassandra.errors.AuthenticationError);
}

async function withClient<T>(username: string, password: string, work: (c: cassandra.Client) => Promise<T>): Promise<T> {
  const client = connect(username, password);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.shutdown();
  }
}

async function replaceDefaultSuperuser(): Promise<void> {
  await withClient(DEFAULT_SUPERUSER, DEFAULT_SUPERUSER, (c) =>
    c.execute(`CREATE ROLE IF NOT EXISTS ${quote(admin.username)} WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = ${quote(admin.password)}`),
  );
  console.log(`created super user ${admin.username}`);
}

async function ensureRoles(): Promise<void> {
  await withClient(admin.username, admin.password, async (c) => {
    await c.execute(`CREATE ROLE IF NOT EXISTS ${quote(app.username)} WITH LOGIN = true AND PASSWORD = ${quote(app.password)}`);
    // The well-known default must not open the cluster to anyone.
    await c.execute(`ALTER ROLE ${DEFAULT_SUPERUSER} WITH SUPERUSER = false AND LOGIN = false`);
  });
  console.log(`roles ready: ${admin.username} (super user), ${app.username} (login); ${DEFAULT_SUPERUSER} disabled`);
}

async function main(): Promise<void> {
  const waitIdx = process.argv.indexOf("--wait");
  const deadline = Date.now() + Number(waitIdx >= 0 ? (process.argv[waitIdx + 1] ?? "0") : "0") * 1000;
  for (;;) {
    try {
      await ensureRoles();
      return;
    } catch (err) {
      // First start: only cassandra/cassandra exists (once Cassandra has created it).
      if (isAuthFailure(err)) {
        try {
          await replaceDefaultSuperuser();
          continue;
        } catch (inner) {
          if (Date.now() >= deadline) throw inner;
        }
      } else if (Date.now() >= deadline) {
        throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
