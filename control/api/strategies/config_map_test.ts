import assert from "node:assert/strict";
import type { ConfigMap } from "../types/core_v1_config.ts";
import { base64DecodedLength, configMapStrategy } from "./config_map.ts";

function cm(obj: Partial<ConfigMap>): ConfigMap {
  return { metadata: { name: "cfg", namespace: "default" }, ...obj };
}

Deno.test("configMapStrategy.validate() checks keys as upstream's IsConfigMapKey", async (t) => {
  const regex =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
  const cases: [string, string[]][] = [
    ["app.properties", []],
    ["a/b", [`data[a/b]: Invalid value: "a/b": ${regex}`]],
    ["..", [`data[..]: Invalid value: "..": must not be '..'`]],
    ["..x", [`data[..x]: Invalid value: "..x": must not start with '..'`]],
  ];
  for (const [key, want] of cases) {
    await t.step(key, () => {
      const errs = configMapStrategy.validate!(cm({ data: { [key]: "v" } }));
      assert.deepEqual(errs.map(String), want);
    });
  }
});

Deno.test("configMapStrategy.validate() rejects keys in both data and binaryData", () => {
  const errs = configMapStrategy.validate!(cm({ data: { k: "a" }, binaryData: { k: "Yg==" } }));
  assert.deepEqual(errs.map(String), [
    'data[k]: Invalid value: "k": duplicate of key present in binaryData',
  ]);
});

Deno.test("configMapStrategy.validate() limits the total size to 1 MiB, at the root path", () => {
  const big = "x".repeat(1024 * 1024);
  assert.deepEqual(configMapStrategy.validate!(cm({ data: { a: big } })), []);
  const errs = configMapStrategy.validate!(cm({ data: { a: big, b: "y" } }));
  assert.deepEqual(errs.map(String), ["[]: Too long: may not be more than 1048576 bytes"]);
  assert.equal(base64DecodedLength("YWJj"), 3);
  assert.equal(base64DecodedLength("YWI="), 2);
});

Deno.test("configMapStrategy.validateUpdate() keeps the data of an immutable ConfigMap", () => {
  const old = cm({ immutable: true, data: { a: "1" }, binaryData: { b: "Yg==" } });
  assert.deepEqual(configMapStrategy.validateUpdate!(cm({ ...old }), old), []);
  const errs = configMapStrategy.validateUpdate!(
    cm({ immutable: false, data: { a: "2" }, binaryData: {} }),
    old,
  );
  assert.deepEqual(errs.map(String), [
    "immutable: Forbidden: field is immutable when `immutable` is set",
    "data: Forbidden: field is immutable when `immutable` is set",
    "binaryData: Forbidden: field is immutable when `immutable` is set",
  ]);
  assert.deepEqual(configMapStrategy.validateUpdate!(cm({ data: { a: "2" } }), cm({})), []);
});
