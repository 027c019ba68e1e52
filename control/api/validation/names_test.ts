import assert from "node:assert/strict";
import { FieldPath } from "./field_errors.ts";
import {
  isConfigMapKey,
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isDomainPrefixedPath,
  isFullyQualifiedDomainName,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
  isWildcardDns1123Subdomain,
  regexError,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateQualifiedName,
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
  // As upstream: an empty name part also fails the name regex.
  assert.deepEqual(isQualifiedName("example.com/"), [
    "name part must be non-empty",
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
  assert.deepEqual(isQualifiedName(""), isQualifiedName("example.com/"));
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

Deno.test("regexError() formats examples and the regex as upstream", () => {
  assert.equal(
    regexError("bad", { fmt: "[a-z]+", examples: ["a", "b"] }),
    "bad (e.g. 'a',  or 'b', regex used for validation is '[a-z]+')",
  );
  assert.equal(
    regexError("bad", { fmt: "x", examples: [] }),
    "bad (regex used for validation is 'x')",
  );
});

Deno.test("validateDns1123Label() and friends report each problem as an Invalid error", () => {
  const p = new FieldPath("spec").child("hostname");
  assert.deepEqual(validateDns1123Label("web", p), []);
  assert.deepEqual(validateDns1123Label("Web", p).map(String), [
    `spec.hostname: Invalid value: "Web": ${isDns1123Label("Web")[0]}`,
  ]);
  assert.equal(validateDns1123Subdomain("a..b", "n").length, 1);
  assert.equal(validateQualifiedName("", "k").length, 2);
});

Deno.test("isConfigMapKey() accepts file names and refuses dot names", async (t) => {
  const cases: [string, string[]][] = [
    ["key.name", []],
    ["KEY_NAME", []],
    [".", ["must not be '.'"]],
    ["..", ["must not be '..'"]],
    ["..data", ["must not start with '..'"]],
    ["a/b", [
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]],
  ];
  for (const [key, want] of cases) {
    await t.step(key, () => assert.deepEqual(isConfigMapKey(key), want));
  }
  assert.deepEqual(isConfigMapKey("k".repeat(254))[0], "must be no more than 253 characters");
});

Deno.test("isWildcardDns1123Subdomain() requires a leading '*.'", () => {
  assert.deepEqual(isWildcardDns1123Subdomain("*.example.com"), []);
  assert.deepEqual(isWildcardDns1123Subdomain("example.com"), [
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
});

Deno.test("isDomainPrefixedPath() requires a DNS host and an HTTP path", () => {
  const p = new FieldPath("c");
  assert.deepEqual(isDomainPrefixedPath(p, "acme.io/foo"), []);
  assert.deepEqual(isDomainPrefixedPath(p, "").map(String), ["c: Required value"]);
  assert.deepEqual(isDomainPrefixedPath(p, "acme.io/").map(String), [
    'c: Invalid value: "acme.io/": must be a domain-prefixed path (such as "acme.io/foo")',
  ]);
  assert.deepEqual(isDomainPrefixedPath(p, "acme.io/a b").map(String), [
    `c: Invalid value: "a b": Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')`,
  ]);
});

Deno.test("isFullyQualifiedDomainName() wants two or more labels", () => {
  const p = new FieldPath("fqdn");
  assert.deepEqual(isFullyQualifiedDomainName(p, "example.com."), []);
  assert.deepEqual(isFullyQualifiedDomainName(p, "").map(String), ["fqdn: Required value"]);
  assert.deepEqual(isFullyQualifiedDomainName(p, "localhost").map(String), [
    'fqdn: Invalid value: "localhost": should be a domain with at least two segments separated by dots',
  ]);
});
