import assert from "node:assert/strict";
import type { TokenRequest } from "../../control/api/types/authentication_v1.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { LocalStateStore } from "./local_state_store.ts";
import { StoredTokenSource } from "./stored_token_source.ts";

Deno.test("StoredTokenSource stores issued tokens and serves a stored one while the source fails and it is valid", async () => {
  const dir = await Deno.makeTempDir();
  const clock = new FakeClock(Date.UTC(2026, 11, 1, 16));
  const store = new LocalStateStore({ dir, logger: new RecordingLogger(), clock });
  try {
    await store.load();
    store.putPod({
      metadata: { name: "web", namespace: "default", uid: "u1" },
      spec: { containers: [] },
    });
    let fail = false;
    const deleted: string[] = [];
    const tokens = new StoredTokenSource({
      store,
      clock,
      source: {
        getServiceAccountToken: (_ns, _name, spec): Promise<TokenRequest> =>
          fail ? Promise.reject(new Error("connection refused")) : Promise.resolve({
            spec,
            status: { token: "t1", expirationTimestamp: "2026-12-01T17:00:00Z" },
          }),
        deleteServiceAccountTokens: (uid) => deleted.push(uid),
      },
    });
    const spec = {
      expirationSeconds: 3600,
      boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "web", uid: "u1" },
    };
    assert.equal(
      (await tokens.getServiceAccountToken("default", "default", spec)).status?.token,
      "t1",
    );
    await store.flush();
    assert.equal((await Array.fromAsync(Deno.readDir(`${dir}/tokens`))).length, 1, "written");

    fail = true;
    clock.advance(30 * 60 * 1000);
    assert.equal(
      (await tokens.getServiceAccountToken("default", "default", spec)).status?.token,
      "t1",
    );
    clock.advance(31 * 60 * 1000);
    await assert.rejects(
      tokens.getServiceAccountToken("default", "default", spec),
      /connection refused/,
    );
    tokens.deleteServiceAccountTokens("u1");
    assert.deepEqual(deleted, ["u1"]);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
