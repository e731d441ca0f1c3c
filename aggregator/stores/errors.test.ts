import { S3ServiceException } from "@aws-sdk/client-s3";
import cassandra from "cassandra-driver";
import { describe, expect, it } from "vitest";
import { splitCql } from "../schema/migrate.js";
import { checkArchiveKey } from "./archive-keys.js";
import { toCassandraPortError } from "./cassandra-errors.js";
import { toFsPortError } from "./local-archive.js";
import { toS3PortError } from "./s3-archive.js";
import { isMessageFault } from "../ports/index.js";
import { isRetriableSqlState, toSqlPortError } from "./sql-client.js";

// Classification tables of the error mappers (the adapters' contract suites cover the paths a
// real server can produce on demand; these cover the answers it cannot be made to give).

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status }, message: name });

describe("error classification", () => {
  it("S3: 5xx, 429, 408 and transport errors retry; other 4xx are fatal", () => {
    expect(toS3PortError("put", s3Error("InternalError", 500)).retriable).toBe(true);
    expect(toS3PortError("put", s3Error("ServiceUnavailable", 503)).retriable).toBe(true);
    expect(toS3PortError("put", s3Error("SlowDown", 503)).retriable).toBe(true);
    expect(toS3PortError("put", s3Error("TooManyRequests", 429)).retriable).toBe(true);
    expect(toS3PortError("put", s3Error("NoSuchBucket", 404)).retriable).toBe(false);
    expect(toS3PortError("put", s3Error("AccessDenied", 403)).retriable).toBe(false);
    expect(toS3PortError("put", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })).retriable).toBe(true);
  });

  it("SQL: connection, serialization, deadlock and resource states retry; data and syntax errors are fatal", () => {
    for (const code of ["08006", "40001", "40P01", "53300", "57P01", "55P03"]) expect(isRetriableSqlState(code), code).toBe(true);
    for (const code of ["42P01", "42601", "23505", "22003", undefined]) expect(isRetriableSqlState(code), String(code)).toBe(false);
    expect(toSqlPortError("q", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })).retriable).toBe(true);
    expect(toSqlPortError("q", new Error("Connection terminated unexpectedly")).retriable).toBe(true);
    expect(toSqlPortError("q", Object.assign(new Error("numeric field overflow"), { code: "22003" })).retriable).toBe(false);
  });

  it("only schema and data-constraint failures blame the message; the other fatal answers blame the infrastructure", () => {
    const sqlErr = (code: string) => toSqlPortError("q", Object.assign(new Error(code), { code }));
    for (const code of ["22003", "22P02", "23505", "23502", "23514"]) expect(isMessageFault(sqlErr(code)), code).toBe(true);
    for (const code of ["25006", "42501", "42P01", "28P01", "3D000"]) expect(isMessageFault(sqlErr(code)), code).toBe(false);
    expect(isMessageFault(toS3PortError("put", s3Error("AccessDenied", 403)))).toBe(false);
    expect(isMessageFault(toCassandraPortError("w", new cassandra.errors.ResponseError(cassandra.types.responseErrorCodes.unauthorized, "x")))).toBe(false);
    expect(isMessageFault(toFsPortError("put", Object.assign(new Error("EROFS"), { code: "EROFS" })))).toBe(false);
  });

  it("Cassandra: unavailable, overloaded, timeouts and no-host retry; invalid and syntax errors are fatal", () => {
    const codes = cassandra.types.responseErrorCodes;
    const resp = (code: number) => new cassandra.errors.ResponseError(code, "x");
    for (const c of [codes.unavailableException, codes.overloaded, codes.writeTimeout, codes.readTimeout, codes.isBootstrapping]) {
      expect(toCassandraPortError("w", resp(c)).retriable).toBe(true);
    }
    for (const c of [codes.invalid, codes.syntaxError, codes.unauthorized, codes.configError]) expect(toCassandraPortError("w", resp(c)).retriable).toBe(false);
    expect(toCassandraPortError("w", new cassandra.errors.NoHostAvailableError({})).retriable).toBe(true);
    expect(toCassandraPortError("w", new cassandra.errors.OperationTimedOutError("t")).retriable).toBe(true);
    expect(toCassandraPortError("w", new cassandra.errors.ArgumentError("bad")).retriable).toBe(false);
  });

  it("local folder: out of space and too many open files retry; permissions and not-a-folder are fatal", () => {
    const fsErr = (code: string) => Object.assign(new Error(code), { code });
    expect(toFsPortError("put", fsErr("ENOSPC")).retriable).toBe(true);
    expect(toFsPortError("put", fsErr("EMFILE")).retriable).toBe(true);
    expect(toFsPortError("put", fsErr("EACCES")).retriable).toBe(false);
    expect(toFsPortError("put", fsErr("ENOTDIR")).retriable).toBe(false);
  });
});

describe("helpers", () => {
  it("splitCql drops comments and splits on semicolons outside quotes", () => {
    const script = "-- head\nCREATE TABLE a (x text); /* block; */ INSERT INTO a (x) VALUES ('a;b'); // tail\n";
    expect(splitCql(script)).toEqual(["CREATE TABLE a (x text)", "INSERT INTO a (x) VALUES ('a;b')"]);
  });

  it("splitCql keeps comment markers, doubled quotes and dollar-quoted bodies inside literals", () => {
    const script = [
      "INSERT INTO a (x) VALUES ('it''s -- not; a comment');",
      'SELECT "we""ird//name" FROM a; -- trailing',
      "CREATE FUNCTION f (x int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS $$ return x; /* ok */ $$;",
      "/* unterminated",
    ].join("\n");
    expect(splitCql(script)).toEqual([
      "INSERT INTO a (x) VALUES ('it''s -- not; a comment')",
      'SELECT "we""ird//name" FROM a',
      "CREATE FUNCTION f (x int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS $$ return x; /* ok */ $$",
    ]);
  });

  it("archive keys must be plain relative paths", () => {
    expect(checkArchiveKey("raw/transactions/year=2024/part-1.parquet")).toBe("raw/transactions/year=2024/part-1.parquet");
    expect(() => checkArchiveKey("../etc/passwd")).toThrow(/invalid key/);
  });
});
