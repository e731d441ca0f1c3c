import { describe, expect, it } from "vitest";
import { encodeCommand, parseReply, RespError, SimpleString } from "./resp.js";

describe("RESP2 codec", () => {
  it("encodes commands as arrays of bulk strings, counting bytes not characters", () => {
    expect(encodeCommand(["SET", "k", "é"]).toString("utf8")).toBe("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n");
  });

  it("parses every reply type", () => {
    const buf = Buffer.from("+OK\r\n-ERR bad\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n*-1\r\n");
    const values: unknown[] = [];
    let pos = 0;
    for (;;) {
      const r = parseReply(buf, pos);
      if (r === undefined) break;
      values.push(r.value);
      pos = r.next;
    }
    expect(pos).toBe(buf.length);
    expect(values[0]).toEqual(new SimpleString("OK"));
    expect(values[1]).toEqual(new RespError("ERR bad"));
    expect(values[2]).toBe(42);
    expect(values[3]).toEqual(Buffer.from("hello"));
    expect(values[4]).toBeNull();
    expect(values[5]).toEqual([Buffer.from("a"), [1]]);
    expect(values[6]).toBeNull();
  });

  it("waits for more bytes at every possible split point", () => {
    const whole = Buffer.from("*3\r\n$4\r\nab\r\n\r\n:7\r\n+x\r\n");
    for (let cut = 0; cut < whole.length; cut++) {
      expect(parseReply(whole.subarray(0, cut), 0)).toBeUndefined();
    }
    expect(parseReply(whole, 0)?.value).toEqual([Buffer.from("ab\r\n"), 7, new SimpleString("x")]);
  });

  it("keeps binary bulk strings intact", () => {
    const payload = Buffer.from([0, 255, 13, 10, 128]);
    const buf = Buffer.concat([Buffer.from(`$${payload.length}\r\n`), payload, Buffer.from("\r\n")]);
    expect(parseReply(buf, 0)?.value).toEqual(payload);
  });
});
