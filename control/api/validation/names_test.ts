import assert from "node:assert/strict";
import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
} from "./names.ts";

Deno.test("isDns1123Label() accepts lowercase labels up to 63 characters", () => {
  assert.deepEqual(isDns1123Label("web-0"), []);
  assert.deepEqual(isDns1123Label("a".repeat(63)), []);
  assert.deepEqual(isDns1123Label("a".repeat(64)), ["must be no more than 63 characters"]);
  assert.deepEqual(isDns1123Label("Web"), [
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  ]);
  assert.equal(isDns1123Label("-a").length, 1);
  assert.equal(isDns1123Label("a.b").length, 1);
});

Deno.test("isDns1123Subdomain() accepts dotted names up to 253 characters", () => {
  assert.deepEqual(isDns1123Subdomain("kube-root-ca.crt"), []);
  assert.equal(isDns1123Subdomain("a..b").length, 1);
  assert.equal(isDns1123Subdomain("a".repeat(254)).length, 1);
  assert.match(isDns1123Subdomain("UPPER")[0]!, /regex used for validation is/);
});

Deno.test("isDns1035Label() requires a leading letter", () => {
  assert.deepEqual(isDns1035Label("web"), []);
  assert.equal(isDns1035Label("1web").length, 1);
});

Deno.test("isQualifiedName() checks the prefix and the name part", () => {
  assert.deepEqual(isQualifiedName("app"), []);
  assert.deepEqual(isQualifiedName("app.kubernetes.io/name"), []);
  assert.deepEqual(isQualifiedName("/name"), ["prefix part must be non-empty"]);
  assert.deepEqual(isQualifiedName("example.com/"), ["name part must be non-empty"]);
  assert.equal(isQualifiedName("a/b/c").length, 1);
  assert.equal(isQualifiedName("-bad").length, 1);
  assert.deepEqual(isQualifiedName("x".repeat(64)), [
    "name part must be no more than 63 characters",
  ]);
  assert.match(isQualifiedName("Bad_/x")[0]!, /^prefix part /);
});

Deno.test("isValidLabelValue() accepts empty values and 63 characters", () => {
  assert.deepEqual(isValidLabelValue(""), []);
  assert.deepEqual(isValidLabelValue("v1.2_3-x"), []);
  assert.equal(isValidLabelValue("-x").length, 1);
  assert.equal(isValidLabelValue("x".repeat(64)).length, 1);
});

Deno.test("isValidPathSegmentName() refuses ., .., / and %", () => {
  assert.deepEqual(isValidPathSegmentName("system:admin"), []);
  assert.deepEqual(isValidPathSegmentName(".."), ["may not be '..'"]);
  assert.deepEqual(isValidPathSegmentName("a/b%c"), ["may not contain '/'", "may not contain '%'"]);
});
