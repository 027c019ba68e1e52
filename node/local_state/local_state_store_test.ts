import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { CountingFs } from "./_counting_fs.ts";
import { LocalStateStore } from "./local_state_store.ts";

interface Harness extends AsyncDisposable {
  readonly dir: string;
  readonly fs: CountingFs;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
  store: LocalStateStore;
  /** Fires the batch timer and waits for the batch. */
  tick(): Promise<void>;
  /** Closes the store and opens a new one on the same directory (not loaded). */
  restart(): Promise<LocalStateStore>;
}

async function harness(): Promise<Harness> {
  const dir = await Deno.makeTempDir({ prefix: "local_state_" });
  const fs = new CountingFs();
  const clock = new FakeClock(1_000_000);
  const logger = new RecordingLogger();
  const open = () => new LocalStateStore({ dir, fs, clock, logger, flushDelayMs: 500 });
  const h: Harness = {
    dir,
    fs,
    clock,
    logger,
    store: open(),
    async tick() {
      clock.advance(500);
      await h.store.flush();
    },
    async restart() {
      await h.store.close();
      h.store = open();
      return h.store;
    },
    async [Symbol.asyncDispose]() {
      await h.store.close().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
  return h;
}

function pod(uid: string, extra: Partial<Pod["spec"] & object> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `pod-${uid}`, namespace: "default", uid, resourceVersion: "1" },
    spec: { nodeName: "edge-1", containers: [{ name: "app", image: "busybox" }], ...extra },
    status: { phase: "Pending" },
  };
}

function usingConfigMap(uid: string, name: string): Pod {
  return pod(uid, { volumes: [{ name: "cfg", configMap: { name } }] });
}

function tokenWrites(h: Harness): number {
  return h.fs.writes.filter((p) => p.includes("/tokens/")).length;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("LocalStateStore.putPod() writes nothing for an identical re-put or a resourceVersion-, managedFields- or status-only change", async () => {
  await using h = await harness();
  await h.store.load();
  const first = pod("u1");
  assert.equal(h.store.putPod(first), true);
  await h.tick();
  assert.deepEqual(h.fs.writes, [`${h.dir}/pods/u1.json`]);
  h.fs.reset();

  assert.equal(h.store.putPod(structuredClone(first)), false);
  assert.equal(
    h.store.putPod({ ...first, metadata: { ...first.metadata, resourceVersion: "2" } }),
    false,
  );
  assert.equal(
    h.store.putPod({
      ...first,
      metadata: {
        ...first.metadata,
        resourceVersion: "3",
        managedFields: [{ manager: "kubelet", operation: "Update", time: "2026-01-01T00:00:00Z" }],
      },
    }),
    false,
  );
  assert.equal(
    h.store.putPod({ ...first, status: { phase: "Running", podIP: "10.42.0.9" } }),
    false,
  );
  await h.tick();
  await h.store.flush();
  assert.deepEqual(h.fs.writes, []);
  assert.deepEqual(h.fs.syncs, []);
  assert.equal(h.clock.pendingTimers, 0);
});

Deno.test("LocalStateStore.putPod() writes a changed spec and a terminal phase once each", async () => {
  await using h = await harness();
  await h.store.load();
  h.store.putPod(pod("u1"));
  await h.tick();
  h.fs.reset();
  const relabelled = pod("u1");
  relabelled.metadata!.labels = { app: "web" };
  assert.equal(h.store.putPod(relabelled), true);
  await h.tick();
  assert.equal(h.fs.writes.length, 1);
  assert.equal(h.store.putPod({ ...relabelled, status: { phase: "Succeeded" } }), true);
  assert.equal(
    h.store.putPod({ ...relabelled, status: { phase: "Succeeded", reason: "x" } }),
    false,
  );
  await h.tick();
  assert.equal(h.fs.writes.length, 2);
  const onDisk = JSON.parse(await Deno.readTextFile(`${h.dir}/pods/u1.json`));
  assert.deepEqual(onDisk.status, { phase: "Succeeded" });
  assert.equal(onDisk.metadata.resourceVersion, undefined);
});

Deno.test("LocalStateStore coalesces a burst: one write per object and one directory sync per batch", async () => {
  await using h = await harness();
  await h.store.load();
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 20; i++) {
      const p = pod(`u${i}`);
      p.metadata!.annotations = { round: String(round) };
      h.store.putPod(p);
    }
    h.clock.advance(50);
  }
  assert.deepEqual(h.fs.writes, [], "nothing is written before the window ends");
  assert.equal(h.store.pendingWrites, 20);
  await h.tick();
  assert.equal(h.fs.writes.length, 20);
  assert.deepEqual(h.fs.syncs, [`${h.dir}/pods`]);
  const p7 = JSON.parse(await Deno.readTextFile(`${h.dir}/pods/u7.json`));
  assert.deepEqual(p7.metadata.annotations, { round: "4" });
  assert.equal(h.store.pendingWrites, 0);
});

Deno.test("LocalStateStore.close() writes what is pending: no acknowledged put is lost", async () => {
  await using h = await harness();
  await h.store.load();
  h.store.putPod(pod("u1"));
  h.store.putPod(pod("u2"));
  h.store.removePod("u2");
  await h.store.close();
  assert.equal(await exists(`${h.dir}/pods/u1.json`), true);
  assert.equal(await exists(`${h.dir}/pods/u2.json`), false);
  assert.throws(() => h.store.putPod(pod("u3")), /closed/);
  const again = await h.restart();
  const state = await again.load();
  assert.deepEqual(state.pods.map((p) => p.metadata?.uid), ["u1"]);
});

Deno.test("LocalStateStore.load() returns what was stored, and identical puts after it write nothing", async () => {
  await using h = await harness();
  await h.store.load();
  const p = pod("u1", {
    volumes: [
      { name: "cfg", configMap: { name: "settings" } },
      {
        name: "tok",
        projected: { sources: [{ serviceAccountToken: { path: "token" } }] },
      },
    ],
    containers: [{
      name: "app",
      image: "busybox",
      env: [{ name: "PW", valueFrom: { secretKeyRef: { name: "db", key: "pw" } } }],
    }],
  });
  const cm = {
    metadata: { name: "settings", namespace: "default", resourceVersion: "4" },
    data: { a: "1" },
  };
  const secret = {
    metadata: { name: "db", namespace: "default", resourceVersion: "5" },
    type: "Opaque",
    data: { pw: "c2VjcmV0" },
  };
  const token = {
    namespace: "default",
    name: "default",
    spec: {
      expirationSeconds: 3600,
      boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "pod-u1", uid: "u1" },
    },
    status: { token: "eyJhbGciOi", expirationTimestamp: "2026-12-01T17:00:00Z" },
  };
  h.store.putPod(p);
  h.store.putConfigMap(cm);
  h.store.putSecret(secret);
  h.store.putToken(token);
  await h.tick();
  assert.equal(h.fs.writes.length, 4);
  assert.equal(h.fs.writes[3], `${h.dir}/pods/u1.json`, "what a pod uses is written before it");
  for (const kind of ["secrets", "tokens", "pods", "configmaps"]) {
    const [file] = await h.fs.readDir(`${h.dir}/${kind}`);
    assert.equal((await Deno.stat(`${h.dir}/${kind}/${file}`)).mode! & 0o777, 0o600, kind);
    assert.equal((await Deno.stat(`${h.dir}/${kind}`)).mode! & 0o777, 0o700, kind);
  }

  const again = await h.restart();
  h.fs.reset();
  const state = await again.load();
  assert.deepEqual(state.pods.map((x) => x.metadata?.uid), ["u1"]);
  assert.deepEqual(state.configMaps.map((x) => x.data), [{ a: "1" }]);
  assert.deepEqual(state.secrets.map((x) => x.data), [{ pw: "c2VjcmV0" }]);
  assert.deepEqual(state.tokens.map((x) => x.status.token), ["eyJhbGciOi"]);
  assert.deepEqual(state.corrupt, []);
  assert.equal(again.token(token)?.status?.token, "eyJhbGciOi");
  assert.deepEqual((await again.getConfigMap("default", "settings"))?.data, { a: "1" });
  assert.deepEqual((await again.getSecret("default", "db"))?.data, { pw: "c2VjcmV0" });

  again.putPod({ ...p, metadata: { ...p.metadata, resourceVersion: "77" } });
  again.putConfigMap({ ...cm, metadata: { ...cm.metadata, resourceVersion: "78" } });
  again.putSecret(secret);
  again.putToken(token);
  await h.tick();
  assert.deepEqual(h.fs.writes, []);
  assert.deepEqual(h.fs.removes, []);
});

Deno.test("LocalStateStore keeps a ConfigMap or Secret on disk only while a stored pod references it", async (t) => {
  await using h = await harness();
  await h.store.load();
  const cmFile = `${h.dir}/configmaps/default_settings.json`;
  const secretFile = `${h.dir}/secrets/default_registry.json`;

  await t.step("an unreferenced put stays in memory", async () => {
    h.store.putConfigMap({
      metadata: { name: "settings", namespace: "default" },
      data: { a: "1" },
    });
    h.store.putSecret({ metadata: { name: "registry", namespace: "default" }, data: {} });
    await h.tick();
    assert.deepEqual(h.fs.writes, []);
  });
  await t.step("a pod that references it writes it", async () => {
    h.store.putPod(usingConfigMap("u1", "settings"));
    h.store.putPod(pod("u2", { imagePullSecrets: [{ name: "registry" }] }));
    await h.tick();
    assert.equal(await exists(cmFile), true);
    assert.equal(await exists(secretFile), true);
    assert.deepEqual(h.fs.writes.slice(-2).sort(), [
      `${h.dir}/pods/u1.json`,
      `${h.dir}/pods/u2.json`,
    ]);
  });
  await t.step("it stays while another pod still references it", async () => {
    h.store.putPod(usingConfigMap("u3", "settings"));
    h.store.removePod("u1");
    await h.tick();
    assert.equal(await exists(cmFile), true);
  });
  await t.step("a pod that stops referencing it counts as gone", async () => {
    h.store.putPod(pod("u3"));
    h.store.removePod("u2");
    await h.tick();
    assert.equal(await exists(cmFile), false);
    assert.equal(await exists(secretFile), false);
    const removes = h.fs.removes;
    assert.ok(
      removes.indexOf(`${h.dir}/pods/u2.json`) < removes.indexOf(secretFile),
      "what a pod used is removed after the pod",
    );
  });
  await t.step("one no pod references any more is forgotten until it is put again", async () => {
    h.fs.reset();
    assert.equal(await h.store.getConfigMap("default", "settings"), undefined);
    h.store.putPod(usingConfigMap("u4", "settings"));
    await h.tick();
    assert.equal(await exists(cmFile), false);
    h.store.putConfigMap({
      metadata: { name: "settings", namespace: "default" },
      data: { a: "2" },
    });
    await h.tick();
    assert.equal(await exists(cmFile), true);
    assert.deepEqual(h.fs.writes, [`${h.dir}/pods/u4.json`, cmFile]);
  });
  await t.step("a deleted ConfigMap is removed even while referenced", async () => {
    h.store.removeConfigMap("default", "settings");
    await h.tick();
    assert.equal(await exists(cmFile), false);
    assert.equal(await h.store.getConfigMap("default", "settings"), undefined);
  });
});

Deno.test("LocalStateStore keeps a bound token while its pod is stored", async () => {
  await using h = await harness();
  await h.store.load();
  const token = {
    namespace: "default",
    name: "web",
    spec: { expirationSeconds: 3600, boundObjectRef: { kind: "Pod", name: "pod-u1", uid: "u1" } },
    status: { token: "t1", expirationTimestamp: "2026-12-01T17:00:00Z" },
  };
  h.store.putToken(token);
  await h.tick();
  assert.deepEqual(h.fs.writes, [], "no pod uses it yet");
  h.store.putPod(pod("u1", { serviceAccountName: "web" }));
  await h.tick();
  assert.equal(tokenWrites(h), 1);
  h.store.putToken({ ...token, status: { ...token.status, token: "t2" } });
  await h.tick();
  assert.equal(
    tokenWrites(h),
    2,
    "a refresh is a change",
  );
  h.store.removePod("u1");
  await h.tick();
  assert.deepEqual(await h.fs.readDir(`${h.dir}/tokens`), []);
});

Deno.test("LocalStateStore.load() removes leftover temporary files and reports and removes corrupt files", async () => {
  await using h = await harness();
  await h.store.load();
  h.store.putPod(pod("u1"));
  await h.store.flush();
  await h.store.close();
  const pods = `${h.dir}/pods`;
  await Deno.writeTextFile(`${pods}/.u2.json.tmp-0badc0de`, '{"kind":"Pod","metadata":');
  await Deno.writeTextFile(`${pods}/u3.json`, '{"apiVersion":"v1","kind":"Pod","meta');
  await Deno.writeTextFile(`${pods}/u4.json`, '{"kind":"Pod","metadata":{"uid":"other"}}');
  await Deno.writeTextFile(`${h.dir}/secrets/default_x.json`, "[]");
  await Deno.writeTextFile(`${pods}/README`, "not ours");

  const again = await h.restart();
  const state = await again.load();
  assert.deepEqual(state.pods.map((p) => p.metadata?.uid), ["u1"]);
  assert.deepEqual(state.corrupt.map((c) => c.path).sort(), [
    `${pods}/u3.json`,
    `${pods}/u4.json`,
    `${h.dir}/secrets/default_x.json`,
  ]);
  assert.match(state.corrupt.find((c) => c.path.endsWith("u4.json"))!.error, /"other"/);
  assert.deepEqual(await h.fs.readDir(pods), ["README", "u1.json"]);
  assert.deepEqual(await h.fs.readDir(`${h.dir}/secrets`), []);
  assert.equal(
    h.logger.records.filter((r) => r.msg === "Removing corrupt local state file").length,
    3,
  );
  assert.equal(h.logger.messages("info").includes("Removing leftover temporary state file"), true);
});

Deno.test("LocalStateStore.load() leaves out and removes what no stored pod uses any more", async () => {
  await using h = await harness();
  await h.store.load();
  h.store.putPod(usingConfigMap("u1", "settings"));
  h.store.putConfigMap({ metadata: { name: "settings", namespace: "default" }, data: {} });
  await h.store.close();
  // A crash after the pod's file was removed and before the ConfigMap's.
  await Deno.remove(`${h.dir}/pods/u1.json`);
  const again = await h.restart();
  const state = await again.load();
  assert.deepEqual(state.pods, []);
  assert.deepEqual(state.configMaps, []);
  await h.tick();
  assert.deepEqual(await h.fs.readDir(`${h.dir}/configmaps`), []);
});

Deno.test("LocalStateStore retries a batch that failed to write, and logs the failure", async () => {
  await using h = await harness();
  const store = new LocalStateStore({
    dir: h.dir,
    fs: h.fs,
    clock: h.clock,
    logger: h.logger,
    flushDelayMs: 500,
    retryDelayMs: 2_000,
  });
  h.store = store;
  await store.load();
  h.fs.failWrites = () => true;
  store.putPod(pod("u1"));
  h.clock.advance(500);
  await store.flush().catch(() => {});
  await Promise.resolve();
  assert.equal(h.logger.messages("error").includes("Cannot write local state"), true);
  assert.equal(store.pendingWrites, 1);
  h.fs.failWrites = undefined;
  h.clock.advance(2_000);
  await store.flush();
  assert.equal(store.pendingWrites, 0);
  assert.equal(await exists(`${h.dir}/pods/u1.json`), true);
});

Deno.test("LocalStateStore refuses puts before load() and objects it cannot name a file for", async (t) => {
  await using h = await harness();
  await t.step("before load", () => {
    assert.throws(() => h.store.putPod(pod("u1")), /before the local state is loaded/);
  });
  await h.store.load();
  const cases: Array<{ name: string; put: () => unknown; message: RegExp }> = [
    {
      name: "a pod without uid",
      put: () => h.store.putPod({ metadata: { name: "x", namespace: "default" } }),
      message: /Cannot store pod "default\/x": it has no metadata.uid/,
    },
    {
      name: "a uid with a slash",
      put: () => h.store.putPod(pod("../etc")),
      message: /not a usable file name/,
    },
    {
      name: "a ConfigMap without namespace",
      put: () => h.store.putConfigMap({ metadata: { name: "c" } }),
      message: /Cannot store ConfigMap "\/c": it needs a namespace and a name/,
    },
  ];
  for (const c of cases) {
    await t.step(
      c.name,
      () => assert.throws(c.put, (err) => err instanceof TypeError && c.message.test(err.message)),
    );
  }
});
