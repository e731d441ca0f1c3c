import cassandra from "cassandra-driver";
import { PortError } from "../ports/index.js";

const { errors, types } = cassandra;
const codes = types.responseErrorCodes;

/** Server answers that say "not now": replicas down or slow, node starting or overloaded. */
const RETRIABLE_CODES = new Set<number>([
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.truncateError,
  codes.writeTimeout,
  codes.readTimeout,
  codes.readFailure,
  codes.writeFailure,
  codes.serverError,
]);

/**
 * Maps a cassandra-driver error to PortError. Retriable: no host reachable, client-side timeouts,
 * busy connections, and the server's unavailable / overloaded / timeout answers. Fatal: invalid
 * queries, syntax, unknown keyspace or table, bad arguments — the same call would fail again.
 */
export function toCassandraPortError(what: string, e: unknown): PortError {
  if (e instanceof PortError) return e;
  const message = e instanceof Error ? e.message : String(e);
  let retriable: boolean;
  if (e instanceof errors.ResponseError) retriable = RETRIABLE_CODES.has(e.code);
  else if (e instanceof errors.NoHostAvailableError || e instanceof errors.OperationTimedOutError || e instanceof errors.BusyConnectionError) retriable = true;
  else if (e instanceof errors.ArgumentError || e instanceof errors.NotSupportedError || e instanceof errors.DriverInternalError) retriable = false;
  else if (e instanceof errors.DriverError) retriable = true; // socket closed and the like
  else retriable = false;
  return new PortError(`${what}: ${message}`, retriable, { cause: e });
}
