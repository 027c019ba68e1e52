import assert from "node:assert/strict";
import type { ConfigMap, Secret } from "../../control/api/types/core_v1_config.ts";
import { configMapPayload, decodeBase64, secretPayload } from "./key_projection.ts";
import type { Payload } from "./atomic_writer.ts";

const CONFIG_MAP: ConfigMap = {
  metadata: { name: "app", namespace: "shop" },
  // Parsed, so that "__proto__" is a real key (valid in a ConfigMap).
  data: JSON.parse('{"app.conf": "port = 80\\n", "__proto__": "odd but valid"}'),
  binaryData: { "logo.bin": "AAEC/w==" },
};

const SECRET: Secret = {
  metadata: { name: "creds", namespace: "shop" },
  data: { username: btoa("admin"), password: btoa("s3cr3t") },
};

function files(payload: Payload): Record<string, [string, string]> {
  return Object.fromEntries(
    [...payload].map((
      [k, v],
    ) => [k, [
      Array.from(v.data, (b) => b.toString(16).padStart(2, "0")).join(""),
      v.mode.toString(8),
    ]]),
  );
}

function hex(s: string): string {
  return Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("decodeBase64() decodes binary values", () => {
  assert.deepEqual([...decodeBase64("AAEC/w==")], [0, 1, 2, 255]);
  assert.deepEqual([...decodeBase64("")], []);
});

Deno.test("configMapPayload() projects every key when there are no items", () => {
  const payload = configMapPayload(CONFIG_MAP, { defaultMode: 0o640 });
  assert.deepEqual(Object.keys(files(payload)).sort(), ["__proto__", "app.conf", "logo.bin"]);
  assert.deepEqual(payload.get("app.conf")?.mode, 0o640);
  assert.deepEqual([...(payload.get("logo.bin")?.data ?? [])], [0, 1, 2, 255]);
  assert.equal(new TextDecoder().decode(payload.get("__proto__")?.data), "odd but valid");
});

Deno.test("configMapPayload() projects listed items at their paths and modes", () => {
  const payload = configMapPayload(CONFIG_MAP, {
    items: [
      { key: "app.conf", path: "etc/app.conf" },
      { key: "logo.bin", path: "logo", mode: 0o400 },
    ],
  });
  assert.deepEqual(files(payload), {
    "etc/app.conf": [hex("port = 80\n"), "644"],
    logo: ["000102ff", "400"],
  });
});

Deno.test("configMapPayload() fails on a missing listed key unless optional", async (t) => {
  const items = [{ key: "app.conf", path: "a" }, { key: "nope", path: "b" }];
  await t.step("required", () => {
    assert.throws(() => configMapPayload(CONFIG_MAP, { items }), {
      message: "configmap references non-existent config key: nope",
    });
  });
  await t.step("optional", () => {
    assert.deepEqual(Object.keys(files(configMapPayload(CONFIG_MAP, { items, optional: true }))), [
      "a",
    ]);
  });
  await t.step("an empty stand-in for a missing optional ConfigMap", () => {
    assert.equal(configMapPayload({ metadata: { name: "x" } }, { items, optional: true }).size, 0);
  });
});

Deno.test("secretPayload() decodes the keys and honours items", async (t) => {
  await t.step("all keys", () => {
    assert.deepEqual(files(secretPayload(SECRET, {})), {
      username: [hex("admin"), "644"],
      password: [hex("s3cr3t"), "644"],
    });
  });
  await t.step("items", () => {
    assert.deepEqual(
      files(secretPayload(SECRET, {
        items: [{ key: "password", path: "db/pw", mode: 0o400 }],
        defaultMode: 0o600,
      })),
      { "db/pw": [hex("s3cr3t"), "400"] },
    );
  });
  await t.step("a missing key", () => {
    assert.throws(() => secretPayload(SECRET, { items: [{ key: "token", path: "t" }] }), {
      message: "references non-existent secret key: token",
    });
  });
});
