import assert from "node:assert/strict";
import { createTestApp } from "./api/_test_app.ts";
import { ApiError } from "./api/errors.ts";
import { X509Authenticator } from "./api/auth/x509_authenticator.ts";
import { createTestPki, startTestHttps } from "./api/_test_https.ts";
import { secretsEncryptRoutes } from "./api/secrets_encrypt_route.ts";
import type { ConfigDeps } from "./config.ts";
import {
  formatEncryptionStatus,
  formatRotationResult,
  runSecretsEncryptCommand,
  type SecretsEncryptDeps,
} from "./secrets_encrypt_command.ts";
import { openDenoKvStorage } from "./storage/deno_kv.ts";
import { openEncryptingStorage, storedEncryption } from "./storage/encrypting_storage.ts";
import {
  encryptingStorageOptionsOf,
  ensureEncryptionConfig,
  loadEncryptionConfig,
} from "./storage/encryption_config.ts";
import { EncryptionKeyManager, RotationError } from "./storage/encryption_rotation.ts";
import { MemoryStorage } from "./storage/memory.ts";
import { systemClock } from "./util/clock.ts";
import { BufferWriter } from "./util/writer.ts";

const enc = new TextEncoder();

function configDeps(): ConfigDeps {
  return {
    env: {},
    hostname: () => "Not A Node Name!",
    uid: () => 1000,
    cwd: () => "/",
    readTextFile: (path) => Deno.readTextFile(path),
  };
}

function deps(
  extra: Pick<SecretsEncryptDeps, "connect"> = {},
): SecretsEncryptDeps & { stdout: BufferWriter; stderr: BufferWriter } {
  return { stdout: new BufferWriter(), stderr: new BufferWriter(), config: configDeps(), ...extra };
}

Deno.test("runSecretsEncryptCommand() prints its usage and refuses bad commands and flags", async (t) => {
  const cases: { args: string[]; code: number; out?: RegExp; err?: RegExp }[] = [
    { args: ["--help"], code: 0, out: /^Usage: skiff secrets-encrypt <command>/ },
    { args: ["status", "--help"], code: 0, out: /rotate-keys {2}add a new key/ },
    {
      args: [],
      code: 2,
      err: /^skiff secrets-encrypt: missing command: expected one of status, rotate-keys/,
    },
    { args: ["enable"], code: 2, err: /^skiff secrets-encrypt: unknown command "enable"/ },
    { args: ["status", "--bogus"], code: 2, err: /^skiff secrets-encrypt status: .*bogus/ },
  ];
  for (const c of cases) {
    await t.step(c.args.join(" ") || "(nothing)", async () => {
      const d = deps();
      assert.equal(await runSecretsEncryptCommand(c.args, d), c.code);
      if (c.out) assert.match(d.stdout.text(), c.out);
      if (c.err) assert.match(d.stderr.text(), c.err);
    });
  }
});

Deno.test("runSecretsEncryptCommand() asks the running server over HTTPS with the admin certificate", async () => {
  await using pki = await createTestPki();
  const { dataDir } = pki;
  const encryption = await ensureEncryptionConfig({ dataDir });
  await using storage = await openEncryptingStorage(
    new MemoryStorage(),
    encryptingStorageOptionsOf(encryption.config),
  );
  for (let i = 0; i < 4; i++) await storage.create(`/registry/secrets/d/s${i}`, enc.encode("{}"));
  await storage.raw.create("/registry/secrets/d/old", enc.encode("{}"));
  const keys = new EncryptionKeyManager({
    storage,
    path: encryption.path,
    config: encryption.config,
  });
  await using app = await createTestApp({
    authenticator: () =>
      new X509Authenticator({ cas: () => [pki.ca.certificate], clock: systemClock }),
    extensions: () => ({ routes: secretsEncryptRoutes({ keys }) }),
  });
  await using server = await startTestHttps(app.app, pki);
  await Deno.writeTextFile(`${dataDir}/kubeconfig.yaml`, server.kubeconfig);
  const status = deps();
  assert.equal(
    await runSecretsEncryptCommand(["status", "--data-dir", dataDir], status),
    0,
    status.stderr.text(),
  );
  assert.equal(
    status.stdout.text(),
    [
      "Encryption status: Enabled",
      "Current key: key1",
      `Key file: ${dataDir}/encryption-config.yaml`,
      "Rotation: idle",
      "",
      "ACTIVE  RESOURCE  KEY          VALUES",
      "*       secrets   key1         4",
      "        secrets   (plaintext)  1",
      "",
    ].join("\n"),
  );

  const rotate = deps();
  assert.equal(
    await runSecretsEncryptCommand(["rotate-keys", "--data-dir", dataDir], rotate),
    0,
    rotate.stderr.text(),
  );
  assert.equal(
    rotate.stdout.text(),
    'Rotated encryption keys: the current key is "key2", dropped "key1"\n' +
      'secrets: 5 values re-encrypted, 0 already on "key2", 0 conflicts retried, 0 deleted meanwhile\n',
  );
  const onDisk = await loadEncryptionConfig(encryption.path);
  const provider = onDisk.resources[0]!.providers[0]!;
  assert.deepEqual(provider.type === "aesgcm" && provider.keys.map((k) => k.name), ["key2"]);
  for (const kv of (await storage.raw.list("/registry/secrets/")).items) {
    assert.equal(storedEncryption(kv.value)?.keyName, "key2");
  }
});

Deno.test("runSecretsEncryptCommand() reports the server's refusal with exit code 1", async () => {
  await using pki = await createTestPki();
  const { dataDir } = pki;
  assert.ok(pki.kubeconfigPath.startsWith(dataDir));
  const seen: { url: string; method: string | undefined }[] = [];
  const d = deps({
    connect: (tls) => {
      assert.equal(tls.certPem, pki.admin.certPem);
      return {
        fetch: (url, init) => {
          seen.push({ url, method: init?.method });
          return Promise.resolve(
            new Response(
              JSON.stringify({
                kind: "Status",
                message: 'forbidden: User "x" cannot post path "/v1-skiff"',
              }),
              { status: 403 },
            ),
          );
        },
        [Symbol.dispose]() {},
      };
    },
  });
  assert.equal(await runSecretsEncryptCommand(["rotate-keys", "--data-dir", dataDir], d), 1);
  assert.deepEqual(seen, [{
    url: "https://127.0.0.1:6443/v1-skiff/secrets-encrypt/rotate-keys",
    method: "POST",
  }]);
  assert.equal(
    d.stderr.text(),
    'skiff secrets-encrypt rotate-keys: forbidden: User "x" cannot post path "/v1-skiff"\n',
  );
});

Deno.test("runSecretsEncryptCommand() prints the cause of the server's InternalError, not its wrapper", async () => {
  await using pki = await createTestPki();
  const { dataDir } = pki;
  const refusal = new RotationError(
    'Cannot rotate encryption keys: encryption is disabled in "/k.yaml" (no resource is written with aesgcm)',
  );
  const d = deps({
    connect: () => ({
      fetch: () => Promise.resolve(ApiError.internal(refusal).toResponse()),
      [Symbol.dispose]() {},
    }),
  });
  assert.equal(await runSecretsEncryptCommand(["rotate-keys", "--data-dir", dataDir], d), 1);
  assert.equal(
    d.stderr.text(),
    'skiff secrets-encrypt rotate-keys: cannot rotate encryption keys: encryption is disabled in "/k.yaml" (no resource is written with aesgcm)\n',
  );
});

Deno.test("runSecretsEncryptCommand() works on a Deno KV datastore directly when no server runs", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const encryption = await ensureEncryptionConfig({ dataDir });
    await Deno.mkdir(`${dataDir}/db`);
    const kvPath = `${dataDir}/db/state.kv`;
    {
      await using storage = await openEncryptingStorage(
        await openDenoKvStorage({ path: kvPath }),
        encryptingStorageOptionsOf(encryption.config),
      );
      await storage.create("/registry/secrets/d/a", enc.encode("{}"));
    }
    const status = deps();
    assert.equal(
      await runSecretsEncryptCommand(["status", "--data-dir", dataDir], status),
      0,
      status.stderr.text(),
    );
    assert.ok(status.stdout.text().includes("*       secrets   key1         1\n"));

    const rotate = deps();
    assert.equal(await runSecretsEncryptCommand(["rotate-keys", "--data-dir", dataDir], rotate), 0);
    assert.match(rotate.stdout.text(), /the current key is "key2", dropped "key1"/);

    // A server holding the file: the command refuses rather than work beside it.
    await using held = await openDenoKvStorage({ path: kvPath });
    const refused = deps();
    assert.equal(
      await runSecretsEncryptCommand(["rotate-keys", "--data-dir", dataDir], refused),
      1,
    );
    assert.match(
      refused.stderr.text(),
      /^skiff secrets-encrypt rotate-keys: cannot read the admin kubeconfig ".*kubeconfig.yaml", and the datastore is in use by another process: Cannot open Deno KV file/,
    );
    assert.ok(held);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("runSecretsEncryptCommand() asks for a first server start when there is no key file", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const d = deps();
    assert.equal(await runSecretsEncryptCommand(["status", "--data-dir", dataDir], d), 1);
    assert.equal(
      d.stderr.text(),
      `skiff secrets-encrypt status: cannot read the admin kubeconfig "${dataDir}/kubeconfig.yaml", ` +
        `and there is no key file "${dataDir}/encryption-config.yaml": start "skiff server --data-dir ${dataDir}" first\n`,
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dataDir)), [], "creates nothing");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("runSecretsEncryptCommand() needs the running server with etcd", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const d = deps();
    const code = await runSecretsEncryptCommand(
      [
        "status",
        "--data-dir",
        dataDir,
        "--storage",
        "etcd",
        "--etcd-endpoints",
        "http://127.0.0.1:1",
      ],
      d,
    );
    assert.equal(code, 1);
    assert.match(
      d.stderr.text(),
      /^skiff secrets-encrypt status: cannot read the admin kubeconfig ".*": with --storage etcd the command needs the running server, start "skiff server --data-dir .*"\n$/,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("formatEncryptionStatus() and formatRotationResult() show keys missing from the key file and disabled encryption", () => {
  assert.equal(
    formatEncryptionStatus({
      enabled: false,
      path: "/x/encryption-config.yaml",
      rotating: true,
      resources: [{
        resource: "secrets",
        prefix: "/registry/secrets/",
        writeKey: null,
        keys: ["key1"],
        encrypted: { key1: 2, lost: 1 },
        plaintext: 3,
      }],
    }),
    [
      "Encryption status: Disabled",
      "Current key: none (plaintext)",
      "Key file: /x/encryption-config.yaml",
      "Rotation: running",
      "",
      "ACTIVE  RESOURCE  KEY                         VALUES",
      "        secrets   key1                        2",
      "        secrets   lost (not in the key file)  1",
      "*       secrets   (plaintext)                 3",
      "",
    ].join("\n"),
  );
  assert.equal(
    formatRotationResult({
      newKey: "key3",
      droppedKeys: ["key2", "key1"],
      resources: [{
        resource: "secrets",
        prefix: "/registry/secrets/",
        scanned: 3,
        rewritten: 1,
        current: 2,
        conflicts: 1,
        gone: 0,
      }],
    }),
    'Rotated encryption keys: the current key is "key3", dropped "key2", "key1"\n' +
      'secrets: 1 value re-encrypted, 2 already on "key3", 1 conflict retried, 0 deleted meanwhile\n',
  );
});
