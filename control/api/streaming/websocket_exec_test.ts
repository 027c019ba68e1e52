import assert from "node:assert/strict";
import { v5Status } from "./websocket_exec.ts";

function enc(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}

Deno.test("v5Status() re-encodes the v4 error stream as the stream translator does", async (t) => {
  await t.step("success, and a stream closed without a word", () => {
    assert.deepEqual(v5Status(enc({ metadata: {}, status: "Success" })), {
      metadata: {},
      status: "Success",
    });
    assert.deepEqual(v5Status(new Uint8Array(0)), { metadata: {}, status: "Success" });
  });
  await t.step("a non-zero exit code keeps its cause", () => {
    const v4 = {
      metadata: {},
      status: "Failure",
      message: "error executing command [sh -c exit 3], exit code 3",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "3" }] },
    };
    const got = v5Status(enc(v4));
    assert.deepEqual(Object.keys(got), ["metadata", "status", "message", "reason", "details"]);
    assert.equal(got.reason, "NonZeroExitCode");
    assert.deepEqual(got.details, { causes: [{ reason: "ExitCode", message: "3" }] });
    assert.match(String(got.message), /^command terminated with non-zero exit code: /);
    assert.match(String(got.message), /exit code 3$/);
  });
  await t.step("anything else is an internal error", () => {
    const got = v5Status(enc({ status: "Failure", message: "container not found" }));
    assert.equal(got.reason, "InternalError");
    assert.equal(got.message, "Internal error occurred: container not found");
    assert.equal(got.code, 500);
  });
});
