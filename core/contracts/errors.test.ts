import { describe, expect, it } from "vitest";
import { errorBody } from "./errors.js";

describe("errorBody", () => {
  it("is {error:{code,message,retriable}} with the optional fields only when given", () => {
    expect(errorBody("NOT_FOUND", "no route")).toEqual({ error: { code: "NOT_FOUND", message: "no route", retriable: false } });
    expect(JSON.stringify(errorBody("VALIDATION_FAILED", "bad", { request_id: "r1", issues: [{ path: "amount_usd", message: "required" }], reason: undefined }))).toBe(
      '{"error":{"code":"VALIDATION_FAILED","message":"bad","request_id":"r1","retriable":false,"issues":[{"path":"amount_usd","message":"required"}]}}',
    );
    expect(errorBody("UNAUTHORIZED", "bad signature", { reason: "BAD_SIGNATURE", retriable: false }).error.reason).toBe("BAD_SIGNATURE");
  });
});
