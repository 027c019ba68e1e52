import assert from "node:assert/strict";
import { CriError, GrpcStatus, grpcStatusName, isCriNotFound } from "./errors.ts";

Deno.test("grpcStatusName() names every gRPC status code", async (t) => {
  const cases: [number, string][] = [
    [0, "OK"],
    [1, "CANCELLED"],
    [4, "DEADLINE_EXCEEDED"],
    [5, "NOT_FOUND"],
    [14, "UNAVAILABLE"],
    [16, "UNAUTHENTICATED"],
    [99, "UNKNOWN"],
  ];
  for (const [code, name] of cases) {
    await t.step(`${code} is ${name}`, () => assert.equal(grpcStatusName(code), name));
  }
  assert.equal(Object.keys(GrpcStatus).length, 17);
});

Deno.test("CriError names the RPC, its subject and the status in its message", async (t) => {
  const cause = new Error("transport");
  const cases: { name: string; err: CriError; message: string }[] = [
    {
      name: "with subject and details",
      err: new CriError({
        rpc: "RuntimeService/StartContainer",
        code: 2,
        details: "failed to create shim task",
        subject: 'container "c1"',
        cause,
      }),
      message: 'CRI RuntimeService/StartContainer of container "c1" failed: UNKNOWN: ' +
        "failed to create shim task",
    },
    {
      name: "without subject",
      err: new CriError({ rpc: "RuntimeService/Status", code: 14, details: "No connection" }),
      message: "CRI RuntimeService/Status failed: UNAVAILABLE: No connection",
    },
    {
      name: "without details",
      err: new CriError({ rpc: "ImageService/ImageFsInfo", code: 12, details: "" }),
      message: "CRI ImageService/ImageFsInfo failed: UNIMPLEMENTED",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(c.err.message, c.message);
      assert.equal(c.err.name, "CriError");
      assert.ok(c.err instanceof Error);
    });
  }
  assert.equal(cases[0]?.err.cause, cause);
  assert.equal(cases[0]?.err.rpc, "RuntimeService/StartContainer");
  assert.equal(cases[0]?.err.details, "failed to create shim task");
  assert.equal(cases[0]?.err.codeName, "UNKNOWN");
  assert.equal("cause" in (cases[1]?.err ?? {}), false);
});

Deno.test("isCriNotFound() is true only for a NOT_FOUND CriError", () => {
  const notFound = new CriError({ rpc: "RuntimeService/ContainerStatus", code: 5, details: "" });
  assert.equal(notFound.isNotFound, true);
  assert.equal(isCriNotFound(notFound), true);
  assert.equal(isCriNotFound(new CriError({ rpc: "x", code: 2, details: "" })), false);
  assert.equal(isCriNotFound(Object.assign(new Error("not found"), { code: 5 })), false);
  assert.equal(isCriNotFound(undefined), false);
});
