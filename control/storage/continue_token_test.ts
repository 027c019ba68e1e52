import assert from "node:assert/strict";
import { decodeContinue, encodeContinue } from "./continue_token.ts";
import { InvalidInputError } from "./errors.ts";

Deno.test("encodeContinue() and decodeContinue() round-trip the revision and the next key", () => {
  const token = encodeContinue(42, "/registry/pods/default/a");
  assert.deepEqual(decodeContinue(token, "/registry/pods/"), {
    revision: 42,
    startKey: "/registry/pods/default/a\u0000",
  });
});

Deno.test("decodeContinue() refuses garbage, bad fields and tokens of another prefix", () => {
  const b64 = (o: unknown) => btoa(JSON.stringify(o));
  for (
    const token of [
      "%%%",
      b64({ v: "meta.k8s.io/v1", rv: -1, start: "/registry/pods/a" }),
      b64({ v: "other", rv: 1, start: "/registry/pods/a" }),
      b64(null),
      b64({ v: "meta.k8s.io/v1", rv: 1, start: "/registry/secrets/a" }),
    ]
  ) {
    assert.throws(() => decodeContinue(token, "/registry/pods/"), InvalidInputError, token);
  }
});
