import assert from "node:assert/strict";
import {
  decodeGrpcMessage,
  frameMessage,
  grpcTimeout,
  MessageReader,
  statusOfHttp,
  statusOfReset,
} from "./_grpc_wire.ts";
import { H2Error } from "./_h2_frames.ts";
import { GrpcCallError, GrpcStatus } from "./errors.ts";

Deno.test("grpcTimeout() writes at most 8 digits, in the finest unit that fits", async (t) => {
  const cases: [ms: number, header: string][] = [
    [0, "1m"],
    [0.2, "1m"],
    [1, "1m"],
    [1_500.2, "1501m"],
    [120_000, "120000m"],
    [99_999_999, "99999999m"],
    [100_000_000, "100000S"],
    [1e11, "1666667M"],
    [1e13, "2777778H"],
    // Beyond 8 digits of hours: the largest value.
    [1e15, "99999999H"],
  ];
  for (const [ms, header] of cases) {
    await t.step(`${ms} ms`, () => assert.equal(grpcTimeout(ms), header));
  }
});

Deno.test("decodeGrpcMessage() percent-decodes UTF-8 and keeps malformed escapes", async (t) => {
  const cases: [value: string, text: string][] = [
    ["", ""],
    ["plain text", "plain text"],
    ["not%20found", "not found"],
    ["100%25", "100%"],
    ["%C3%A9t%C3%A9", "été"],
    ["%e2%9c%93 lower-case hex", "✓ lower-case hex"],
    ["50%zz", "50%zz"],
    ["trailing %", "trailing %"],
    ["cut %4", "cut %4"],
  ];
  for (const [value, expected] of cases) {
    await t.step(JSON.stringify(value), () => assert.equal(decodeGrpcMessage(value), expected));
  }
});

Deno.test("statusOfHttp() and statusOfReset() map as the gRPC protocol says", async (t) => {
  const http: [number, number][] = [
    [400, GrpcStatus.INTERNAL],
    [401, GrpcStatus.UNAUTHENTICATED],
    [403, GrpcStatus.PERMISSION_DENIED],
    [404, GrpcStatus.UNIMPLEMENTED],
    [429, GrpcStatus.UNAVAILABLE],
    [431, GrpcStatus.INTERNAL],
    [502, GrpcStatus.UNAVAILABLE],
    [503, GrpcStatus.UNAVAILABLE],
    [504, GrpcStatus.UNAVAILABLE],
    [200, GrpcStatus.UNKNOWN],
    [500, GrpcStatus.UNKNOWN],
  ];
  for (const [status, code] of http) {
    await t.step(`HTTP ${status}`, () => assert.equal(statusOfHttp(status), code));
  }
  const resets: [number, number][] = [
    [H2Error.NO_ERROR, GrpcStatus.INTERNAL],
    [H2Error.PROTOCOL_ERROR, GrpcStatus.INTERNAL],
    [H2Error.FLOW_CONTROL_ERROR, GrpcStatus.INTERNAL],
    [H2Error.REFUSED_STREAM, GrpcStatus.UNAVAILABLE],
    [H2Error.CANCEL, GrpcStatus.CANCELLED],
    [H2Error.ENHANCE_YOUR_CALM, GrpcStatus.RESOURCE_EXHAUSTED],
    [H2Error.INADEQUATE_SECURITY, GrpcStatus.PERMISSION_DENIED],
  ];
  for (const [h2, code] of resets) {
    await t.step(`RST_STREAM ${h2}`, () => assert.equal(statusOfReset(h2), code));
  }
});

Deno.test("MessageReader collects messages however the data is cut", async (t) => {
  const messages = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(70_000).fill(9)];
  const stream = new Uint8Array(messages.reduce((n, m) => n + 5 + m.length, 0));
  let at = 0;
  for (const m of messages) {
    stream.set(frameMessage(m), at);
    at += 5 + m.length;
  }
  for (const size of [1, 2, 4, 5, 6, 1000, stream.length]) {
    await t.step(`chunks of ${size}`, () => {
      const reader = new MessageReader(100_000);
      for (let i = 0; i < stream.length; i += size) {
        reader.push(stream.slice(i, i + size));
        if (i + size < stream.length) assert.ok(reader.partial || reader.messages.length > 0);
      }
      assert.equal(reader.partial, false);
      assert.deepEqual(reader.messages, messages);
    });
  }
  await t.step("a prefix alone is partial", () => {
    const reader = new MessageReader(10);
    reader.push(Uint8Array.of(0, 0, 0));
    assert.equal(reader.partial, true);
    assert.deepEqual(reader.messages, []);
  });
});

Deno.test("MessageReader refuses messages over its limit and compressed ones", async (t) => {
  await t.step("too large, known from the prefix alone", () => {
    const reader = new MessageReader(4);
    assert.throws(() => reader.push(Uint8Array.of(0, 0, 0, 0, 5)), (err) => {
      assert.ok(err instanceof GrpcCallError);
      assert.equal(err.code, GrpcStatus.RESOURCE_EXHAUSTED);
      assert.equal(err.details, "grpc: received message larger than max (5 vs. 4)");
      assert.equal(
        err.message,
        "RESOURCE_EXHAUSTED: grpc: received message larger than max (5 vs. 4)",
      );
      return true;
    });
  });
  await t.step("compressed", () => {
    const reader = new MessageReader(100);
    assert.throws(
      () => reader.push(Uint8Array.of(1, 0, 0, 0, 1, 0)),
      (err) => err instanceof GrpcCallError && err.code === GrpcStatus.INTERNAL,
    );
  });
});
