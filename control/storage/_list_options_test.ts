import assert from "node:assert/strict";
import { encodeContinue } from "./continue_token.ts";
import { InvalidInputError } from "./errors.ts";
import { parseListOptions } from "./_list_options.ts";

Deno.test("parseListOptions() defaults to everything at the current revision", () => {
  assert.deepEqual(parseListOptions("/registry/pods/", {}), {
    limit: 0,
    revision: 0,
    startKey: "/registry/pods/",
  });
});

Deno.test("parseListOptions() takes revision and start from a continue token", () => {
  const token = encodeContinue(9, "/registry/pods/default/a");
  assert.deepEqual(
    parseListOptions("/registry/pods/", { limit: 5, revision: 3, continue: token }),
    {
      limit: 5,
      revision: 9,
      startKey: "/registry/pods/default/a\u0000",
    },
  );
});

Deno.test("parseListOptions() refuses a bad prefix, limit or revision", () => {
  assert.throws(() => parseListOptions("/registry/pods", {}), InvalidInputError);
  assert.throws(() => parseListOptions("/registry/pods/", { limit: -1 }), InvalidInputError);
  assert.throws(() => parseListOptions("/registry/pods/", { revision: 0.5 }), InvalidInputError);
});
