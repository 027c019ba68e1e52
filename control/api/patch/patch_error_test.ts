import assert from "node:assert/strict";
import { ApiError } from "../errors.ts";
import { MAX_JSON_PATCH_OPERATIONS, PATCH_REJECTED_MESSAGE, PatchError } from "./patch_error.ts";

Deno.test("PatchError renders the Status the API server answers", async (t) => {
  const cases = [
    {
      name: "badRequest()",
      err: PatchError.badRequest("invalid patch format of retainKeys"),
      status: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "invalid patch format of retainKeys",
        reason: "BadRequest",
        code: 400,
      },
    },
    {
      name: "rejected()",
      err: PatchError.rejected("testing value /a failed: test failed"),
      status: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "the server rejected our request due to an error in our request",
        reason: "Invalid",
        details: {},
        code: 422,
      },
    },
    {
      name: "tooManyOperations()",
      err: PatchError.tooManyOperations(10001),
      status: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message:
          "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
        reason: "RequestEntityTooLarge",
        code: 413,
      },
    },
    {
      name: "serverError() has no reason",
      err: PatchError.serverError("map: map[image:x] does not contain declared merge key: name"),
      status: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "map: map[image:x] does not contain declared merge key: name",
        code: 500,
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.ok(c.err instanceof ApiError);
      assert.equal(c.err.name, "PatchError");
      assert.deepEqual(c.err.toStatus(), c.status);
    });
  }
});

Deno.test("PatchError.rejected() keeps what failed as the cause", () => {
  const err = PatchError.rejected("testing value /a failed: test failed");
  assert.equal(err.message, PATCH_REJECTED_MESSAGE);
  assert.ok(err.cause instanceof Error);
  assert.equal(err.cause.message, "testing value /a failed: test failed");
  assert.equal(MAX_JSON_PATCH_OPERATIONS, 10_000);
});

Deno.test("PatchError.toResponse() answers with the code and the Status", async () => {
  const res = PatchError.rejected("x").toResponse();
  assert.equal(res.status, 422);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal((await res.json()).reason, "Invalid");
});
