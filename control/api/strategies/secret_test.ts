import assert from "node:assert/strict";
import type { Secret } from "../types/core_v1_config.ts";
import { goJsonMapError, secretStrategy } from "./secret.ts";

function secret(obj: Partial<Secret>): Secret {
  return { metadata: { name: "s", namespace: "default" }, ...obj };
}

Deno.test("secretStrategy.default() sets Opaque and merges stringData into data", () => {
  const obj = secret({ data: { a: "eA==" }, stringData: { a: "héllo", b: "x" } });
  secretStrategy.default!(obj);
  assert.equal(obj.type, "Opaque");
  assert.deepEqual(obj.data, { a: "aMOpbGxv", b: "eA==" });
  assert.equal(obj.stringData, undefined);
});

Deno.test("secretStrategy.validate() requires each well-known type's keys", async (t) => {
  const cases: [string, Partial<Secret>, string[]][] = [
    ["tls missing both", { type: "kubernetes.io/tls" }, [
      "data[tls.crt]: Required value",
      "data[tls.key]: Required value",
    ]],
    ["tls complete", { type: "kubernetes.io/tls", data: { "tls.crt": "", "tls.key": "" } }, []],
    ["basic-auth", { type: "kubernetes.io/basic-auth" }, [
      "data[username]: Required value",
      "data[password]: Required value",
    ]],
    [
      "basic-auth with a username",
      { type: "kubernetes.io/basic-auth", data: { username: "" } },
      [],
    ],
    ["ssh-auth", { type: "kubernetes.io/ssh-auth", data: { "ssh-privatekey": "" } }, [
      "data[ssh-privatekey]: Required value",
    ]],
    ["service account token", { type: "kubernetes.io/service-account-token" }, [
      "metadata.annotations[kubernetes.io/service-account.name]: Required value",
    ]],
    ["dockerconfigjson missing", { type: "kubernetes.io/dockerconfigjson" }, [
      "data[.dockerconfigjson]: Required value",
    ]],
    ["dockerconfigjson not JSON", {
      type: "kubernetes.io/dockerconfigjson",
      data: { ".dockerconfigjson": btoa("xyz") },
    }, [
      "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": invalid character 'x' looking for beginning of value",
    ]],
    [
      "dockercfg valid",
      { type: "kubernetes.io/dockercfg", data: { ".dockercfg": btoa("{}") } },
      [],
    ],
    ["custom type", { type: "example.com/thing" }, []],
  ];
  for (const [name, obj, want] of cases) {
    await t.step(
      name,
      () => assert.deepEqual(secretStrategy.validate!(secret(obj)).map(String), want),
    );
  }
});

Deno.test("goJsonMapError() mirrors Go's json.Unmarshal into a map", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(goJsonMapError(enc('{"auths":{}}')), null);
  assert.equal(goJsonMapError(enc("null")), null);
  assert.equal(goJsonMapError(enc("")), "unexpected end of JSON input");
  assert.equal(goJsonMapError(enc('{"a":')), "unexpected end of JSON input");
  assert.equal(
    goJsonMapError(enc("nope")),
    "invalid character 'o' in literal null (expecting 'u')",
  );
  assert.equal(
    goJsonMapError(enc("[1]")),
    "json: cannot unmarshal array into Go value of type map[string]interface {}",
  );
});

Deno.test("secretStrategy.validate() checks keys and the 1 MiB limit on decoded data", () => {
  assert.deepEqual(secretStrategy.validate!(secret({ data: { "a b": "" } })).map(String), [
    `data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
  ]);
  const mib = btoa("x".repeat(1024 * 1024));
  assert.deepEqual(secretStrategy.validate!(secret({ data: { a: mib } })), []);
  assert.deepEqual(secretStrategy.validate!(secret({ data: { a: mib, b: "eA==" } })).map(String), [
    "data: Too long: may not be more than 1048576 bytes",
  ]);
});

Deno.test("secretStrategy.validateUpdate() keeps the type and immutable data", () => {
  const old = secret({ type: "Opaque", immutable: true, data: { a: "eA==" } });
  assert.deepEqual(secretStrategy.validateUpdate!(secret({ ...old }), old), []);
  const errs = secretStrategy.validateUpdate!(
    secret({ type: "kubernetes.io/tls", data: { a: "eQ==" } }),
    old,
  );
  assert.deepEqual(errs.map(String), [
    'type: Invalid value: "kubernetes.io/tls": field is immutable',
    "immutable: Forbidden: field is immutable when `immutable` is set",
    "data: Forbidden: field is immutable when `immutable` is set",
  ]);
});
