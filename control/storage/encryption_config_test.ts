import assert from "node:assert/strict";
import {
  defaultEncryptionConfig,
  encryptedPrefixesOf,
  ENCRYPTION_CONFIG_FILE,
  EncryptionConfigError,
  ensureEncryptionConfig,
  formatEncryptionConfig,
  loadEncryptionConfig,
  parseEncryptionConfig,
  writeEncryptionConfig,
} from "./encryption_config.ts";

const PATH = "/var/lib/skiff/encryption-config.yaml";
const KEY32 = btoa("0123456789abcdef0123456789abcdef");
const KEY16 = btoa("0123456789abcdef");

function doc(providers: string, resources = "[secrets]"): string {
  return [
    "apiVersion: apiserver.config.k8s.io/v1",
    "kind: EncryptionConfiguration",
    "resources:",
    `  - resources: ${resources}`,
    "    providers:",
    providers,
  ].join("\n");
}

Deno.test("parseEncryptionConfig() reads upstream's format with aesgcm and identity providers", () => {
  const config = parseEncryptionConfig(
    doc(
      [
        "      - aesgcm:",
        "          keys:",
        `            - {name: key2, secret: ${KEY32}}`,
        `            - {name: key1, secret: ${KEY16}}`,
        "      - identity: {}",
      ].join("\n"),
      "[secrets, configmaps]",
    ),
    { path: PATH },
  );
  assert.deepEqual(config.resources[0]?.resources, ["secrets", "configmaps"]);
  const [first, second] = config.resources[0]!.providers;
  assert.equal(first?.type, "aesgcm");
  assert.deepEqual(
    first?.type === "aesgcm" && first.keys.map((k) => [k.name, k.secret.byteLength]),
    [["key2", 32], ["key1", 16]],
  );
  assert.deepEqual(second, { type: "identity" });
  assert.deepEqual(encryptedPrefixesOf(config).map((p) => p.prefix), [
    "/registry/secrets/",
    "/registry/configmaps/",
  ]);
});

Deno.test("parseEncryptionConfig() accepts JSON and identity written as null", () => {
  const config = parseEncryptionConfig(
    JSON.stringify({
      apiVersion: "apiserver.config.k8s.io/v1",
      kind: "EncryptionConfiguration",
      resources: [{ resources: ["secrets"], providers: [{ identity: null }] }],
    }),
    { path: PATH },
  );
  assert.deepEqual(config.resources[0]?.providers, [{ type: "identity" }]);
});

Deno.test("parseEncryptionConfig() names the file and the field of every problem", async (t) => {
  const aesgcm = (keys: string) => `      - aesgcm:\n          keys:\n${keys}`;
  const cases: { name: string; text: string; field: string; problem: RegExp }[] = [
    { name: "not YAML", text: "a: [", field: "", problem: /it is not valid YAML/ },
    { name: "not a mapping", text: "- a", field: "", problem: /expected a mapping, found a list/ },
    {
      name: "wrong apiVersion",
      text: doc("      - identity: {}").replace("config.k8s.io/v1", "config.k8s.io/v1beta1"),
      field: "apiVersion",
      problem:
        /expected "apiserver.config.k8s.io\/v1", found string "apiserver.config.k8s.io\/v1beta1"/,
    },
    {
      name: "wrong kind",
      text: doc("      - identity: {}").replace("kind: EncryptionConfiguration", "kind: Secret"),
      field: "kind",
      problem: /expected "EncryptionConfiguration"/,
    },
    {
      name: "no resources",
      text: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: []",
      field: "resources",
      problem: /expected a non-empty list/,
    },
    {
      name: "an unknown field",
      text: doc("      - identity: {}") + "\n    cache: 5",
      field: "resources[0].cache",
      problem: /unknown field, expected one of resources, providers/,
    },
    {
      name: "a wildcard resource",
      text: doc("      - identity: {}", "['*.*']"),
      field: "resources[0].resources[0]",
      problem: /resource "\*\.\*" is not supported: skiff encrypts core resources/,
    },
    {
      name: "a resource listed twice",
      text: doc("      - identity: {}", "[secrets, secrets]"),
      field: "resources[0].resources[1]",
      problem: /resource "secrets" is already listed at resources\[0\]\.resources\[0\]/,
    },
    {
      name: "aescbc",
      text: doc(`      - aescbc:\n          keys:\n            - {name: k, secret: ${KEY32}}`),
      field: "resources[0].providers[0].aescbc",
      problem: /provider "aescbc" is not supported, expected one of aesgcm, identity/,
    },
    {
      name: "kms",
      text: doc("      - kms: {name: vault}"),
      field: "resources[0].providers[0].kms",
      problem: /provider "kms" is not supported/,
    },
    {
      name: "two providers in one entry",
      text: doc(`      - identity: {}\n        aesgcm: {keys: [{name: k, secret: ${KEY32}}]}`),
      field: "resources[0].providers[0]",
      problem: /expected exactly one provider, found identity, aesgcm/,
    },
    {
      name: "no keys",
      text: doc("      - aesgcm: {keys: []}"),
      field: "resources[0].providers[0].aesgcm.keys",
      problem: /expected a non-empty list/,
    },
    {
      name: "a key without a name",
      text: doc(aesgcm(`            - {secret: ${KEY32}}`)),
      field: "resources[0].providers[0].aesgcm.keys[0].name",
      problem: /expected a non-empty string, found nothing/,
    },
    {
      name: "a name with a colon",
      text: doc(aesgcm(`            - {name: "a:b", secret: ${KEY32}}`)),
      field: "resources[0].providers[0].aesgcm.keys[0].name",
      problem: /key name "a:b" must not contain ":"/,
    },
    {
      name: "a name used twice",
      text: doc(
        aesgcm(
          `            - {name: k, secret: ${KEY32}}\n            - {name: k, secret: ${KEY16}}`,
        ),
      ),
      field: "resources[0].providers[0].aesgcm.keys[1].name",
      problem: /key name "k" is used twice/,
    },
    {
      name: "a secret that is not base64",
      text: doc(aesgcm("            - {name: k, secret: 'not base64!'}")),
      field: "resources[0].providers[0].aesgcm.keys[0].secret",
      problem: /expected a base64-encoded key/,
    },
    {
      name: "a secret of the wrong length",
      text: doc(aesgcm(`            - {name: k, secret: ${btoa("short")}}`)),
      field: "resources[0].providers[0].aesgcm.keys[0].secret",
      problem: /expected a key of 16, 24 or 32 bytes, found 5/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const err = (() => {
        try {
          parseEncryptionConfig(c.text, { path: PATH });
        } catch (e) {
          return e;
        }
        return null;
      })();
      assert.ok(err instanceof EncryptionConfigError, String(err));
      assert.equal(err.path, PATH);
      assert.equal(err.field, c.field);
      assert.ok(
        err.message.startsWith(
          `Cannot load encryption config "${PATH}": ${c.field ? `${c.field}: ` : ""}`,
        ),
        err.message,
      );
      assert.match(err.message, c.problem);
      assert.ok(!err.message.includes(KEY32), "never prints a key");
    });
  }
});

Deno.test("formatEncryptionConfig() writes what parseEncryptionConfig() reads back", () => {
  const config = defaultEncryptionConfig();
  const text = formatEncryptionConfig(config);
  assert.match(text, /^# skiff's keys/);
  assert.match(text, /apiVersion: apiserver.config.k8s.io\/v1\nkind: EncryptionConfiguration\n/);
  assert.match(text, /- identity: \{\}/);
  assert.deepEqual(parseEncryptionConfig(text, { path: PATH }), config);
  const [provider] = config.resources[0]!.providers;
  assert.ok(provider?.type === "aesgcm" && provider.keys[0]?.name === "key1");
  assert.equal(provider.keys[0].secret.byteLength, 32);
  const other = defaultEncryptionConfig().resources[0]!.providers[0];
  assert.ok(other?.type === "aesgcm");
  assert.notDeepEqual(other.keys[0]!.secret, provider.keys[0].secret, "random keys");
});

Deno.test("ensureEncryptionConfig() creates a private key file once and loads it afterwards", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await ensureEncryptionConfig({ dataDir: dir });
    assert.equal(first.created, true);
    assert.equal(first.path, `${dir}/${ENCRYPTION_CONFIG_FILE}`);
    assert.equal((await Deno.stat(first.path)).mode! & 0o777, 0o600);
    const second = await ensureEncryptionConfig({ dataDir: dir });
    assert.equal(second.created, false);
    assert.equal(second.mode, 0o600);
    assert.deepEqual(second.config, first.config);

    await Deno.chmod(first.path, 0o644);
    assert.equal((await ensureEncryptionConfig({ dataDir: dir })).mode, 0o644);
    await writeEncryptionConfig(first.path, first.config);
    assert.equal((await Deno.stat(first.path)).mode! & 0o777, 0o600);

    await Deno.writeTextFile(first.path, doc("      - secretbox: {}"));
    await assert.rejects(
      ensureEncryptionConfig({ dataDir: dir }),
      (err) =>
        err instanceof EncryptionConfigError &&
        err.field === "resources[0].providers[0].secretbox",
    );
    await assert.rejects(
      loadEncryptionConfig(`${dir}/missing.yaml`),
      /Cannot load encryption config ".*missing.yaml": cannot read the file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
