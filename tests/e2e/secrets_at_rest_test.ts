/**
 * End-to-end: Secrets are encrypted at rest in the files the real `skiff server` writes, on
 * both storage backends. Each test creates a Secret holding a random marker (in `data`, base64,
 * and in `stringData`) and a ConfigMap holding another, then searches every byte of every file
 * of the datastore (the Deno KV file with its `-wal`/`-shm`, or etcd's data dir: WAL, snapshots,
 * bbolt file) for the Secret's marker and its base64 form: neither may appear, while the
 * ConfigMap's marker must (the search sees the data, so a pass is not vacuous). The raw stored
 * values are read with the backend's own client, not through skiff.
 *
 * Also covered: the key file (mode 0600, the keys nowhere else on disk), `skiff secrets-encrypt
 * rotate-keys` (values re-encrypted under the new key name, the old key gone from the file and
 * from disk, `status` counting the values per key), a restart on the same data dir, Secrets
 * written while the config wrote plaintext being encrypted by a rotation, and a ciphertext
 * altered in the datastore answering a 500 `InternalError` naming the object (a LIST meeting it
 * too, as kube-apiserver's) while every other Secret (and the bootstrap tokens the Secrets view
 * serves) keeps working, at run time and across a restart, and a rotation meeting it failing
 * with the old key kept.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { dirname, join, relative } from "node:path";
import { Etcd3 } from "etcd3";
import {
  bootstrapTokenSecret,
  generateBootstrapToken,
} from "../../control/api/auth/bootstrap_token.ts";
import { systemConfigDeps } from "../../control/config.ts";
import { runSecretsEncryptCommand } from "../../control/secrets_encrypt_command.ts";
import { openDenoKvStorage } from "../../control/storage/deno_kv.ts";
import {
  ENCRYPTION_CONFIG_FILE,
  type EncryptionConfiguration,
  loadEncryptionConfig,
  writeEncryptionConfig,
} from "../../control/storage/encryption_config.ts";
import type { EncryptionStatus } from "../../control/storage/encryption_rotation.ts";
import { BufferWriter } from "../../control/util/mod.ts";
import { startEtcd } from "../_support/etcd_process.ts";
import {
  HttpsIdentity,
  type HttpsRequestOptions,
  type HttpsResult,
  readAdminKubeconfig,
} from "../_support/identities.ts";
import { startTestServer, type TestServer } from "../_support/skiff_server.ts";

const NS = "default";
const SECRETS = `/api/v1/namespaces/${NS}/secrets`;
const CONFIGMAPS = `/api/v1/namespaces/${NS}/configmaps`;
const ENVELOPE = /^k8s:enc:aesgcm:v1:([^:]+):/;

/** 32 random hex characters. */
function newMarker(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

function secretKey(name: string, namespace = NS): string {
  return `/registry/secrets/${namespace}/${name}`;
}

/** A Secret with `marker` in `data` (base64) and in `stringData`. */
function secretWith(name: string, marker: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name },
    data: { "from-data": btoa(marker) },
    stringData: { "from-string-data": marker },
  };
}

/** What a Secret made by {@linkcode secretWith} holds once stored. */
function expectedData(marker: string): Record<string, string> {
  return { "from-data": btoa(marker), "from-string-data": btoa(marker) };
}

/** The needles a Secret's marker leaves in plaintext: the marker and its base64 form. */
function needlesOf(marker: string): string[] {
  return [marker, btoa(marker)];
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await filesUnder(path));
    else if (entry.isFile) out.push(path);
  }
  return out;
}

/**
 * The files under `dir` (recursively, relative to `dir`) holding each needle somewhere in
 * their bytes.
 */
async function filesHolding(
  dir: string,
  needles: readonly (string | Uint8Array)[],
): Promise<string[][]> {
  const found: string[][] = needles.map(() => []);
  const files = await filesUnder(dir);
  assert.ok(files.length > 0, `no file under "${dir}"`);
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await Deno.readFile(file));
    } catch (err) {
      // A file removed between the listing and the read (an etcd WAL being renamed).
      if (err instanceof Deno.errors.NotFound) continue;
      throw err;
    }
    for (const [i, needle] of needles.entries()) {
      if (bytes.includes(typeof needle === "string" ? needle : Buffer.from(needle))) {
        found[i]!.push(relative(dir, file));
      }
    }
  }
  return found;
}

/** Asserts no file under `dir` holds `secretMarker` (or its base64) and some hold `visible`. */
async function assertAtRest(
  dir: string,
  markers: { readonly secret: readonly string[]; readonly visible: readonly string[] },
): Promise<void> {
  const hidden = markers.secret.flatMap(needlesOf);
  const found = await filesHolding(dir, [...hidden, ...markers.visible]);
  for (const [i, needle] of hidden.entries()) {
    assert.deepEqual(
      found[i],
      [],
      `Secret data "${needle}" is in plaintext in files under "${dir}"`,
    );
  }
  for (const [i, needle] of markers.visible.entries()) {
    assert.notDeepEqual(
      found[hidden.length + i],
      [],
      `"${needle}" is in no file under "${dir}": the search does not see the stored data`,
    );
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("latin1");
}

/** The key name of an encrypted value's envelope, or null when the value is plaintext. */
function envelopeKey(value: Uint8Array): string | null {
  return ENVELOPE.exec(latin1(value.subarray(0, 128)))?.[1] ?? null;
}

/** The value with one byte of its ciphertext flipped (past the envelope and the nonce). */
function flipped(value: Uint8Array): Uint8Array {
  const header = ENVELOPE.exec(latin1(value.subarray(0, 128)));
  assert.ok(header, "the value to alter is encrypted");
  const copy = value.slice();
  const at = header[0].length + 12 + Math.floor((value.byteLength - header[0].length - 12) / 2);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

/** What the helpers below call the API with. */
type Api = Pick<HttpsIdentity, "request" | "expect">;

/**
 * The admin of a {@linkcode TestServer} that halts and restarts: one HTTPS client per run of
 * the server process (a pooled connection does not survive a restart).
 */
class Admin implements Api, Disposable {
  readonly server: TestServer;
  #id: HttpsIdentity | null = null;

  constructor(server: TestServer) {
    this.server = server;
  }

  async #identity(): Promise<HttpsIdentity> {
    this.#id ??= new HttpsIdentity("admin", await readAdminKubeconfig(this.server.kubeconfig));
    return this.#id;
  }

  async request(method: string, path: string, options?: HttpsRequestOptions): Promise<HttpsResult> {
    return await (await this.#identity()).request(method, path, options);
  }

  async expect(
    status: number,
    request: { method: string; path: string; body?: unknown },
  ): Promise<Record<string, unknown>> {
    return await (await this.#identity()).expect(status, request);
  }

  /** Stops the server process, keeping its data dir. */
  async halt(): Promise<void> {
    this[Symbol.dispose]();
    await this.server.halt();
  }

  /** Starts the server process again on its data dir. */
  async restart(): Promise<void> {
    this[Symbol.dispose]();
    await this.server.restart();
  }

  [Symbol.dispose](): void {
    this.#id?.[Symbol.dispose]();
    this.#id = null;
  }
}

async function assertSecretReads(
  id: Api,
  name: string,
  marker: string,
): Promise<Record<string, unknown>> {
  const got = await id.expect(200, { method: "GET", path: `${SECRETS}/${name}` });
  assert.deepEqual(got.data, expectedData(marker), `Secret ${name} reads back intact`);
  return got;
}

interface CommandOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `skiff secrets-encrypt <args>` for `server`'s data dir, in process. */
async function secretsEncrypt(
  server: TestServer,
  args: readonly string[],
): Promise<CommandOutput> {
  const stdout = new BufferWriter();
  const stderr = new BufferWriter();
  const code = await runSecretsEncryptCommand([...args, "--data-dir", server.dataDir], {
    stdout,
    stderr,
    config: systemConfigDeps(),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** The server's status of the `secrets` resource. */
async function secretsStatus(id: Api): Promise<EncryptionStatus["resources"][number]> {
  const body = await id.expect(200, { method: "GET", path: "/v1-skiff/secrets-encrypt/status" });
  const status = body as unknown as EncryptionStatus;
  const secrets = status.resources.find((r) => r.resource === "secrets");
  assert.ok(secrets, `the status reports secrets: ${JSON.stringify(body)}`);
  return secrets;
}

async function secretCount(id: Api): Promise<number> {
  const list = await id.expect(200, { method: "GET", path: "/api/v1/secrets" });
  return (list.items as unknown[]).length;
}

/** The base64 text and raw bytes of every key in the key file. */
async function keyMaterial(
  dataDir: string,
): Promise<{ name: string; needles: [string, Uint8Array] }[]> {
  const config = await loadEncryptionConfig(join(dataDir, ENCRYPTION_CONFIG_FILE));
  return config.resources.flatMap((r) => r.providers).flatMap((p) =>
    p.type === "aesgcm"
      ? p.keys.map((k) => ({
        name: k.name,
        needles: [Buffer.from(k.secret).toString("base64"), k.secret] as [string, Uint8Array],
      }))
      : []
  );
}

async function assertKeyFile(server: TestServer, names: readonly string[]): Promise<void> {
  const path = join(server.dataDir, ENCRYPTION_CONFIG_FILE);
  const info = await Deno.stat(path);
  assert.equal((info.mode ?? 0) & 0o777, 0o600, `"${path}" has mode 0600`);
  assert.equal(((await Deno.stat(server.dataDir)).mode ?? 0) & 0o777, 0o700);
  const keys = await keyMaterial(server.dataDir);
  assert.deepEqual(keys.map((k) => k.name), names);
}

/** Asserts the key material is in no file under `root` but the key file (nor in the log). */
async function assertKeysOnlyInKeyFile(
  server: TestServer,
  keys: readonly { name: string; needles: readonly (string | Uint8Array)[] }[],
  roots: readonly string[],
): Promise<void> {
  const keyFile = join(server.dataDir, ENCRYPTION_CONFIG_FILE);
  for (const root of roots) {
    const needles = keys.flatMap((k) => k.needles);
    const found = await filesHolding(root, needles);
    for (const [i, files] of found.entries()) {
      const others = files.filter((f) => join(root, f) !== keyFile);
      assert.deepEqual(
        others,
        [],
        `key ${keys[Math.floor(i / 2)]!.name} is in files under "${root}"`,
      );
    }
  }
  const log = server.logTail(400);
  for (const k of keys) assert.ok(!log.includes(k.needles[0] as string), `key ${k.name} is logged`);
}

function kvPath(server: TestServer): string {
  return join(server.dataDir, "db", "state.kv");
}

/** The raw stored values under `/registry/secrets/` of a halted server's Deno KV file. */
async function rawKvSecrets(server: TestServer): Promise<Map<string, Uint8Array>> {
  await using storage = await openDenoKvStorage({ path: kvPath(server) });
  const page = await storage.list("/registry/secrets/");
  return new Map(page.items.map((kv) => [kv.key, kv.value]));
}

async function writeKeyFile(server: TestServer, config: EncryptionConfiguration): Promise<void> {
  await writeEncryptionConfig(join(server.dataDir, ENCRYPTION_CONFIG_FILE), config);
}

/** Asserts a request with a new bootstrap token authenticates (the Secrets view is live). */
async function assertNewBootstrapTokenWorks(id: Admin): Promise<void> {
  const token = generateBootstrapToken();
  await id.expect(201, {
    method: "POST",
    path: "/api/v1/namespaces/kube-system/secrets",
    body: bootstrapTokenSecret({ ...token, usages: ["authentication"] }),
  });
  const server = id.server;
  const endpoint = (await readAdminKubeconfig(server.kubeconfig)).endpoint;
  using joiner = new HttpsIdentity("bootstrap token", {
    endpoint,
    credentials: { token: token.token },
  });
  // The Secrets view follows storage by watch: allow it a moment.
  let last = "";
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await joiner.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    });
    if (res.status === 201) {
      const user = (res.json?.status as { userInfo?: { username?: string } })?.userInfo;
      assert.equal(user?.username, `system:bootstrap:${token.id}`);
      return;
    }
    last = `${res.status} ${res.text}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`a new bootstrap token never authenticated: ${last}; log:\n${server.logTail(20)}`);
}

/**
 * Asserts a LIST meeting the altered Secret fails as kube-apiserver's does (500 naming it),
 * a LIST elsewhere answers, and the server logged the Secret it left out by key, not value.
 */
async function assertCorruptSecretScoped(id: Admin, name: string, marker: string): Promise<void> {
  const list = await id.request("GET", SECRETS);
  assert.equal(list.status, 500, list.text);
  assert.equal(list.json?.reason, "InternalError");
  assert.ok(String(list.json?.message).includes(secretKey(name)), list.text);
  await id.expect(200, { method: "GET", path: "/api/v1/namespaces/kube-system/secrets" });
  const log = id.server.logTail(400);
  assert.match(log, /Object view left out (an object|objects) that cannot be decrypted/);
  assert.ok(log.includes(secretKey(name)), "the log names the Secret left out");
  for (const needle of needlesOf(marker)) assert.ok(!log.includes(needle), "no value is logged");
}

/** Asserts GET of an altered Secret answers kube-apiserver's 500 naming it. */
async function assertCorruptSecretAnswers500(id: Api, name: string): Promise<void> {
  const res = await id.request("GET", `${SECRETS}/${name}`);
  assert.equal(res.status, 500, res.text);
  assert.equal(res.json?.kind, "Status");
  assert.equal(res.json?.reason, "InternalError");
  assert.equal(res.json?.code, 500);
  const message = String(res.json?.message);
  assert.match(message, /^Internal error occurred: /);
  assert.ok(message.includes(secretKey(name)), `the message names the object: ${message}`);
  assert.match(message, /does not authenticate with encryption key "key\d+"/);
}

Deno.test("skiff server on Deno KV keeps Secrets encrypted in its files, through rotation and restarts", async (t) => {
  await using server = await startTestServer();
  const secretMarker = newMarker();
  const visible = newMarker();
  const more = Array.from({ length: 5 }, () => newMarker());
  using id = new Admin(server);
  await t.step("a Secret is stored encrypted, a ConfigMap in plaintext", async () => {
    await id.expect(201, {
      method: "POST",
      path: SECRETS,
      body: secretWith("at-rest", secretMarker),
    });
    for (const [i, marker] of more.entries()) {
      await id.expect(201, {
        method: "POST",
        path: SECRETS,
        body: secretWith(`more-${i}`, marker),
      });
    }
    await id.expect(201, {
      method: "POST",
      path: CONFIGMAPS,
      body: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "plain" },
        data: { v: visible },
      },
    });
    await assertSecretReads(id, "at-rest", secretMarker);
    // While the server runs, the writes are in the SQLite WAL.
    const markers = { secret: [secretMarker, ...more], visible: [visible, secretKey("at-rest")] };
    await assertAtRest(server.dataDir, markers);
    // Stopped, the WAL is checkpointed into the main file.
    await id.halt();
    await assertAtRest(server.dataDir, markers);
    const raw = await rawKvSecrets(server);
    const value = raw.get(secretKey("at-rest"));
    assert.ok(value, "the Secret is in the Deno KV file");
    assert.equal(envelopeKey(value), "key1");
    assert.ok(!Buffer.from(value).includes(secretMarker));
    for (const [key, v] of raw) assert.equal(envelopeKey(v), "key1", `${key} is encrypted`);
    await id.restart();
    await assertSecretReads(id, "at-rest", secretMarker);
  });

  await t.step("the key file is private and its key is nowhere else on disk", async () => {
    await assertKeyFile(server, ["key1"]);
    await assertKeysOnlyInKeyFile(server, await keyMaterial(server.dataDir), [
      dirname(server.dataDir),
    ]);
  });

  await t.step(
    "rotate-keys re-encrypts every Secret under a new key and drops the old",
    async () => {
      const oldKeys = await keyMaterial(server.dataDir);
      const before = await secretsStatus(id);
      const total = await secretCount(id);
      assert.deepEqual(before.encrypted, { key1: total });
      assert.equal(before.plaintext, 0);
      const { resourceVersion: rvBefore } = (await assertSecretReads(id, "at-rest", secretMarker))
        .metadata as { resourceVersion: string };

      const rotated = await secretsEncrypt(server, ["rotate-keys"]);
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(
        rotated.stdout,
        /^Rotated encryption keys: the current key is "key2", dropped "key1"\n/,
      );
      assert.match(
        rotated.stdout,
        new RegExp(`^secrets: ${total} values re-encrypted, 0 already`, "m"),
      );

      const after = await secretsStatus(id);
      assert.deepEqual(after.encrypted, { key2: total });
      assert.deepEqual(after.keys, ["key2"]);
      assert.equal(after.writeKey, "key2");
      assert.equal(after.plaintext, 0);
      const status = await secretsEncrypt(server, ["status"]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /^Encryption status: Enabled\nCurrent key: key2\n/);
      assert.match(status.stdout, new RegExp(`^\\*\\s+secrets\\s+key2\\s+${total}$`, "m"));
      assert.match(status.stdout, /^\s+secrets\s+\(plaintext\)\s+0$/m);
      assert.doesNotMatch(status.stdout, /key1/);

      const got = await assertSecretReads(id, "at-rest", secretMarker);
      assert.notEqual((got.metadata as { resourceVersion: string }).resourceVersion, rvBefore);
      await assertKeyFile(server, ["key2"]);
      // The dropped key is gone from disk, the new one only in the key file.
      await assertKeysOnlyInKeyFile(server, [...oldKeys, ...await keyMaterial(server.dataDir)], [
        dirname(server.dataDir),
      ]);
      const oldFound = await filesHolding(dirname(server.dataDir), oldKeys[0]!.needles);
      assert.deepEqual(oldFound, [[], []], "key1 is in no file any more");

      await id.halt();
      const raw = await rawKvSecrets(server);
      assert.equal(raw.size, total);
      for (const [key, v] of raw) assert.equal(envelopeKey(v), "key2", `${key} is on key2`);
      await assertAtRest(server.dataDir, {
        secret: [secretMarker, ...more],
        visible: [visible],
      });
      await id.restart();
      await assertSecretReads(id, "at-rest", secretMarker);
      for (const [i, marker] of more.entries()) await assertSecretReads(id, `more-${i}`, marker);
    },
  );

  await t.step("a Secret written as plaintext is encrypted by rotate-keys", async () => {
    const legacy = newMarker();
    const [key2] = await keyMaterial(server.dataDir);
    const secret = (await loadEncryptionConfig(join(server.dataDir, ENCRYPTION_CONFIG_FILE)))
      .resources[0]!.providers.find((p) => p.type === "aesgcm")!;
    // Encryption off: identity writes, key2 still reads.
    await id.halt();
    await writeKeyFile(server, {
      resources: [{ resources: ["secrets"], providers: [{ type: "identity" }, secret] }],
    });
    await id.restart();
    await id.expect(201, { method: "POST", path: SECRETS, body: secretWith("legacy", legacy) });
    const off = await secretsEncrypt(server, ["rotate-keys"]);
    assert.equal(off.code, 1);
    assert.match(
      off.stderr,
      /^skiff secrets-encrypt rotate-keys: cannot rotate encryption keys: encryption is disabled/,
    );
    await id.halt();
    const plainFound = await filesHolding(server.dataDir, [btoa(legacy)]);
    assert.notDeepEqual(plainFound, [[]], "a Secret written with identity is in plaintext");
    assert.equal(envelopeKey((await rawKvSecrets(server)).get(secretKey("legacy"))!), null);

    // Encryption on again: key2 writes, identity reads the plaintext value.
    await writeKeyFile(server, {
      resources: [{ resources: ["secrets"], providers: [secret, { type: "identity" }] }],
    });
    await id.restart();
    await assertSecretReads(id, "legacy", legacy);
    const total = await secretCount(id);
    const before = await secretsStatus(id);
    assert.equal(before.plaintext, 1);
    assert.deepEqual(before.encrypted, { key2: total - 1 });

    const rotated = await secretsEncrypt(server, ["rotate-keys"]);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /the current key is "key3", dropped "key2"/);
    const after = await secretsStatus(id);
    assert.equal(after.plaintext, 0);
    assert.deepEqual(after.encrypted, { key3: total });
    await assertSecretReads(id, "legacy", legacy);
    await assertKeyFile(server, ["key3"]);
    assert.deepEqual(
      await filesHolding(dirname(server.dataDir), key2!.needles),
      [[], []],
      "key2 is in no file any more",
    );

    // The stored value is now encrypted. Its plaintext version stays in the file's history
    // until compaction, and in SQLite's free pages after it (Deno KV has no VACUUM): a
    // rotation cannot erase what was once written in plaintext, so it is not asserted here.
    await id.halt();
    const raw = await rawKvSecrets(server);
    assert.equal(envelopeKey(raw.get(secretKey("legacy"))!), "key3");
    assert.ok(!Buffer.from(raw.get(secretKey("legacy"))!).includes(btoa(legacy)));
    await id.restart();
    await assertSecretReads(id, "legacy", legacy);
  });

  await t.step(
    "an altered ciphertext answers 500 naming the Secret, others still read",
    async () => {
      const victim = newMarker();
      await id.expect(201, { method: "POST", path: SECRETS, body: secretWith("victim", victim) });
      await id.halt();
      {
        await using storage = await openDenoKvStorage({ path: kvPath(server) });
        const kv = await storage.get(secretKey("victim"));
        assert.ok(kv);
        await storage.update(kv.key, flipped(kv.value), kv.modRevision);
      }
      // The server starts with an undecryptable Secret in storage.
      await id.restart();
      await assertCorruptSecretAnswers500(id, "victim");
      await assertSecretReads(id, "at-rest", secretMarker);
      await assertCorruptSecretScoped(id, "victim", victim);
      await id.expect(201, { method: "POST", path: SECRETS, body: secretWith("after", victim) });
      await assertSecretReads(id, "after", victim);
      await assertNewBootstrapTokenWorks(id);
    },
  );
});

Deno.test("skiff server on etcd stores Secrets encrypted in etcd, through rotation and restarts", async (t) => {
  await using etcd = await startEtcd();
  await using server = await startTestServer({
    args: ["--storage", "etcd", "--etcd-endpoints", etcd.endpoint],
  });
  const client = new Etcd3({ hosts: [etcd.endpoint] });
  const secretMarker = newMarker();
  const visible = newMarker();
  using id = new Admin(server);
  const rawSecret = async (name: string) => {
    const value = await client.get(secretKey(name)).buffer();
    assert.ok(value, `${secretKey(name)} is in etcd`);
    return new Uint8Array(value);
  };
  try {
    await t.step("etcd holds the Secret encrypted and the ConfigMap in plaintext", async () => {
      await id.expect(201, {
        method: "POST",
        path: SECRETS,
        body: secretWith("at-rest", secretMarker),
      });
      await id.expect(201, {
        method: "POST",
        path: CONFIGMAPS,
        body: {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "plain" },
          data: { v: visible },
        },
      });
      await assertSecretReads(id, "at-rest", secretMarker);
      const value = await rawSecret("at-rest");
      assert.equal(envelopeKey(value), "key1");
      for (const needle of needlesOf(secretMarker)) assert.ok(!Buffer.from(value).includes(needle));
      const cm = await client.get(`/registry/configmaps/${NS}/plain`).buffer();
      assert.ok(cm?.includes(visible), "the ConfigMap is stored as plaintext");
      const all = await client.getAll().prefix("/registry/secrets/").buffers();
      for (const [key, v] of Object.entries(all)) {
        assert.equal(envelopeKey(new Uint8Array(v)), "key1", `${key} is encrypted`);
      }
      await assertAtRest(etcd.dataDir, {
        secret: [secretMarker],
        visible: [visible, secretKey("at-rest")],
      });
      await assertAtRest(server.dataDir, {
        secret: [secretMarker],
        visible: ["kind: EncryptionConfiguration"],
      });
      await assertKeyFile(server, ["key1"]);
      await assertKeysOnlyInKeyFile(server, await keyMaterial(server.dataDir), [
        dirname(server.dataDir),
        etcd.dataDir,
      ]);
    });

    await t.step("rotate-keys re-encrypts the value in etcd under the new key", async () => {
      const oldKeys = await keyMaterial(server.dataDir);
      const total = await secretCount(id);
      const before = (await client.get(secretKey("at-rest")).exec()).kvs[0]!;
      const rotated = await secretsEncrypt(server, [
        "rotate-keys",
        "--storage",
        "etcd",
        "--etcd-endpoints",
        etcd.endpoint,
      ]);
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(rotated.stdout, /the current key is "key2", dropped "key1"/);
      const after = (await client.get(secretKey("at-rest")).exec()).kvs[0]!;
      assert.ok(
        Number(after.mod_revision) > Number(before.mod_revision),
        "the value was rewritten",
      );
      assert.equal(envelopeKey(new Uint8Array(after.value)), "key2");
      assert.ok(!after.value.includes(btoa(secretMarker)));
      const all = await client.getAll().prefix("/registry/secrets/").buffers();
      assert.equal(Object.keys(all).length, total);
      for (const [key, v] of Object.entries(all)) {
        assert.equal(envelopeKey(new Uint8Array(v)), "key2", `${key} is on key2`);
      }
      const status = await secretsStatus(id);
      assert.deepEqual(status.encrypted, { key2: total });
      assert.equal(status.plaintext, 0);
      await assertKeyFile(server, ["key2"]);
      assert.deepEqual(
        await filesHolding(dirname(server.dataDir), oldKeys[0]!.needles),
        [[], []],
        "key1 is in no file any more",
      );

      await id.restart();
      await assertSecretReads(id, "at-rest", secretMarker);
      await assertAtRest(etcd.dataDir, { secret: [secretMarker], visible: [visible] });
    });

    await t.step(
      "an altered ciphertext answers 500 naming the Secret, others still read",
      async () => {
        const victim = newMarker();
        await id.expect(201, { method: "POST", path: SECRETS, body: secretWith("victim", victim) });
        // Altered behind the running server's back: its watchers see the change.
        await client.put(secretKey("victim")).value(
          Buffer.from(flipped(await rawSecret("victim"))),
        );
        await assertCorruptSecretAnswers500(id, "victim");
        await assertSecretReads(id, "at-rest", secretMarker);
        await assertCorruptSecretScoped(id, "victim", victim);
        await id.expect(201, { method: "POST", path: SECRETS, body: secretWith("after", victim) });
        await assertSecretReads(id, "after", victim);
        await assertNewBootstrapTokenWorks(id);

        // A rotation cannot re-encrypt it: it fails naming it, and the old key stays in the
        // file (dropped only once every value is re-encrypted), so everything still reads.
        const total = (await secretsStatus(id)).encrypted.key2 ?? 0;
        const rotated = await secretsEncrypt(server, ["rotate-keys"]);
        assert.equal(rotated.code, 1);
        assert.equal(
          rotated.stderr,
          `skiff secrets-encrypt rotate-keys: cannot rotate encryption keys: 1 value under "/registry/secrets/" cannot be decrypted ("${
            secretKey("victim")
          }"); the old keys stay in "${join(server.dataDir, ENCRYPTION_CONFIG_FILE)}"\n`,
        );
        await assertKeyFile(server, ["key3", "key2"]);
        const status = await secretsStatus(id);
        assert.equal(status.writeKey, "key3");
        assert.deepEqual(status.encrypted, { key2: 1, key3: total - 1 });
        assert.equal(envelopeKey(await rawSecret("at-rest")), "key3");
        assert.equal(envelopeKey(await rawSecret("victim")), "key2");

        // And a server starting with it in storage.
        await id.restart();
        await assertCorruptSecretAnswers500(id, "victim");
        await assertSecretReads(id, "at-rest", secretMarker);
        await assertSecretReads(id, "after", victim);
        await assertNewBootstrapTokenWorks(id);
      },
    );
  } finally {
    client.close();
  }
});
