import { AuthenticationError, MultipleErrors, NetworkError, ProtocolError, TimeoutError, UserError } from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import { PortError } from "../ports/index.js";
import { isPlatformaticRetriable, toPlatformaticPortError } from "./platformatic-errors.js";

// The library's own error classes, as it throws them: what may help to try again is retriable.
describe("@platformatic/kafka error classification", () => {
  it("treats connection failures, timeouts and retriable broker answers as retriable", () => {
    expect(isPlatformaticRetriable(new NetworkError("Connection to 127.0.0.1:1 failed."))).toBe(true);
    expect(isPlatformaticRetriable(new TimeoutError("Request timed out."))).toBe(true);
    expect(isPlatformaticRetriable(new ProtocolError("NOT_LEADER_OR_FOLLOWER"))).toBe(true);
    expect(isPlatformaticRetriable(new ProtocolError("UNKNOWN_TOPIC_OR_PARTITION"))).toBe(true);
  });

  it("decides a given-up operation by what it gave up on", () => {
    expect(isPlatformaticRetriable(new MultipleErrors("Failed after 5 retries.", [new NetworkError("refused"), new NetworkError("refused")]))).toBe(true);
    expect(isPlatformaticRetriable(new MultipleErrors("Failed.", [new ProtocolError("TOPIC_AUTHORIZATION_FAILED")]))).toBe(false);
  });

  it("treats user errors, authentication and final broker answers as not retriable", () => {
    expect(isPlatformaticRetriable(new UserError("Client is closed."))).toBe(false);
    expect(isPlatformaticRetriable(new AuthenticationError("SASL authentication failed."))).toBe(false);
    expect(isPlatformaticRetriable(new ProtocolError("MESSAGE_TOO_LARGE"))).toBe(false);
    expect(isPlatformaticRetriable(new Error("something else"))).toBe(false);
  });

  it("wraps as a PortError naming the operation and keeps a PortError as it is", () => {
    const err = toPlatformaticPortError(new MultipleErrors("Failed after 3 retries.", [new NetworkError("Connection refused")]), "publish");
    expect(err).toBeInstanceOf(PortError);
    expect(err.retriable).toBe(true);
    expect(err.message).toMatch(/^kafka publish failed: .*Connection refused/);
    const port = new PortError("down", false);
    expect(toPlatformaticPortError(port, "publish")).toBe(port);
  });
});
