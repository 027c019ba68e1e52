import assert from "node:assert/strict";
import { openEncryptingStorage } from "../storage/encrypting_storage.ts";
import {
  encryptingStorageOptionsOf,
  type EncryptionConfiguration,
  newEncryptionKey,
  writeEncryptionConfig,
} from "../storage/encryption_config.ts";
import { EncryptionKeyManager } from "../storage/encryption_rotation.ts";
import { MemoryStorage } from "../storage/memory.ts";
import { createTestApp } from "./_test_app.ts";
import type { Authenticator } from "./auth/authenticator.ts";
import type { RequestUser } from "./handlers/context.ts";
import {
  SECRETS_ENCRYPT_ROTATE_PATH,
  SECRETS_ENCRYPT_STATUS_PATH,
  secretsEncryptRoutes,
} from "./secrets_encrypt_route.ts";

const USERS: Record<string, RequestUser> = {
  admin: { username: "system:admin", groups: ["system:masters", "system:authenticated"] },
  bob: { username: "bob", groups: ["system:authenticated"] },
};

/** Authenticates the user named by `x-test-user`; none without the header. */
class HeaderAuthenticator implements Authenticator {
  authenticate(request: Request): Promise<RequestUser | null> {
    const name = request.headers.get("x-test-user");
    return Promise.resolve(name ? USERS[name] ?? null : null);
  }
}

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "skiff-enc-route-" });
  const path = `${dir}/encryption-config.yaml`;
  const config: EncryptionConfiguration = {
    resources: [{
      resources: ["secrets"],
      providers: [{ type: "aesgcm", keys: [newEncryptionKey("key1")] }, { type: "identity" }],
    }],
  };
  await writeEncryptionConfig(path, config);
  const storage = await openEncryptingStorage(
    new MemoryStorage(),
    encryptingStorageOptionsOf(config),
  );
  for (let i = 0; i < 3; i++) {
    await storage.create(`/registry/secrets/default/s${i}`, new TextEncoder().encode("{}"));
  }
  const keys = new EncryptionKeyManager({ storage, path, config });
  const t = await createTestApp({
    authenticator: () => new HeaderAuthenticator(),
    extensions: () => ({ routes: secretsEncryptRoutes({ keys }) }),
  });
  return {
    t,
    keys,
    async [Symbol.asyncDispose]() {
      await t[Symbol.asyncDispose]();
      await storage.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function call(
  t: Awaited<ReturnType<typeof createTestApp>>,
  method: string,
  path: string,
  user?: string,
) {
  const res = await t.request(path, { method, headers: user ? { "x-test-user": user } : {} });
  return { status: res.status, body: await res.json() };
}

Deno.test("secretsEncryptRoutes() report the status and rotate keys for system:masters", async () => {
  await using s = await setup();
  const status = await call(s.t, "GET", SECRETS_ENCRYPT_STATUS_PATH, "admin");
  assert.equal(status.status, 200);
  assert.equal(status.body.enabled, true);
  assert.deepEqual(status.body.resources, [{
    resource: "secrets",
    prefix: "/registry/secrets/",
    writeKey: "key1",
    keys: ["key1"],
    encrypted: { key1: 3 },
    plaintext: 0,
  }]);

  const rotated = await call(s.t, "POST", SECRETS_ENCRYPT_ROTATE_PATH, "admin");
  assert.equal(rotated.status, 200);
  assert.equal(rotated.body.newKey, "key2");
  assert.deepEqual(rotated.body.droppedKeys, ["key1"]);
  assert.equal(rotated.body.resources[0].rewritten, 3);
  const after = await call(s.t, "GET", SECRETS_ENCRYPT_STATUS_PATH, "admin");
  assert.deepEqual(after.body.resources[0].encrypted, { key2: 3 });
});

Deno.test("secretsEncryptRoutes() refuse users outside system:masters and anonymous requests", async (t) => {
  await using s = await setup();
  const cases = [
    { method: "GET", path: SECRETS_ENCRYPT_STATUS_PATH, verb: "get" },
    { method: "POST", path: SECRETS_ENCRYPT_ROTATE_PATH, verb: "post" },
  ];
  for (const c of cases) {
    await t.step(`${c.method} ${c.path}`, async () => {
      const bob = await call(s.t, c.method, c.path, "bob");
      assert.equal(bob.status, 403);
      assert.equal(bob.body.kind, "Status");
      assert.equal(bob.body.reason, "Forbidden");
      assert.equal(
        bob.body.message,
        `forbidden: User "bob" cannot ${c.verb} path "${c.path}": only system:masters may manage encryption keys`,
      );
      const anonymous = await call(s.t, c.method, c.path);
      assert.equal(anonymous.status, 401);
    });
  }
  assert.equal(s.keys.config.resources[0]?.providers[0]?.type, "aesgcm");
  const provider = s.keys.config.resources[0]?.providers[0];
  assert.deepEqual(provider?.type === "aesgcm" && provider.keys.map((k) => k.name), ["key1"]);
});

Deno.test("secretsEncryptRoutes() answer 409 while a rotation runs", async () => {
  await using s = await setup();
  const first = call(s.t, "POST", SECRETS_ENCRYPT_ROTATE_PATH, "admin");
  const second = await call(s.t, "POST", SECRETS_ENCRYPT_ROTATE_PATH, "admin");
  assert.equal(second.status, 409);
  assert.equal(second.body.reason, "Conflict");
  assert.equal(second.body.message, "Cannot rotate encryption keys: a rotation is already running");
  assert.equal((await first).status, 200);
});
