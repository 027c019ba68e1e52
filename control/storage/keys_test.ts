import assert from "node:assert/strict";
import { InvalidInputError } from "./errors.ts";
import { prefixEnd, validateKey, validatePrefix, validateRevision, validateValue } from "./keys.ts";

Deno.test("validateKey() accepts namespaced, cluster-scoped and grouped keys", () => {
  for (
    const key of [
      "/registry/pods/default/web-0",
      "/registry/namespaces/default",
      "/registry/apiextensions.k8s.io/customresourcedefinitions/crontabs.stable.example.com",
      "/registry/clusterroles/system:controller:job-controller",
    ]
  ) validateKey(key);
});

Deno.test("validateKey() refuses keys outside the scheme with InvalidInputError", async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ["empty", "", /value is empty/],
    ["not a string", 7, /value is empty/],
    ["outside /registry/", "/pods/a/b", /must start with "\/registry\/"/],
    ["no name", "/registry/pods", /needs a resource and a name/],
    ["empty segment", "/registry/pods//a", /segment "" is not allowed/],
    ["dot segment", "/registry/pods/./a", /segment "." is not allowed/],
    ["control character", "/registry/pods/a\nb", /control character/],
    ["too long", `/registry/pods/${"a".repeat(1100)}`, /longer than 1024 bytes/],
  ];
  for (const [name, key, message] of cases) {
    await t.step(
      name,
      () =>
        assert.throws(
          () => validateKey(key),
          (e: unknown) => e instanceof InvalidInputError && message.test(e.message),
        ),
    );
  }
});

Deno.test("validatePrefix() wants a trailing slash and prefixEnd() bounds the range", () => {
  validatePrefix("/registry/");
  validatePrefix("/registry/pods/default/");
  assert.throws(() => validatePrefix("/registry/pods"), /must end with "\/"/);
  assert.equal(prefixEnd("/registry/pods/"), "/registry/pods0");
  assert.ok("/registry/pods/zzz" < prefixEnd("/registry/pods/"));
  assert.ok("/registry/podsx/a" > prefixEnd("/registry/pods/"));
});

Deno.test("validateRevision() and validateValue() refuse bad numbers and oversized values", () => {
  validateRevision("revision", 0);
  assert.throws(() => validateRevision("revision", -1), InvalidInputError);
  assert.throws(() => validateRevision("revision", 1.5), InvalidInputError);
  assert.throws(() => validateRevision("revision", 2 ** 60), InvalidInputError);
  validateValue("/registry/a/b", new Uint8Array(1_572_864));
  assert.throws(
    () => validateValue("/registry/a/b", new Uint8Array(1_572_865)),
    /1572865 bytes, more than 1572864/,
  );
  assert.throws(() => validateValue("/registry/a/b", "x"), /not a Uint8Array/);
});
