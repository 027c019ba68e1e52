import assert from "node:assert/strict";
import type { Pod, Volume } from "../../control/api/types/core_v1_pod.ts";
import type { ConfigMap, Secret } from "../../control/api/types/core_v1_config.ts";
import type { TokenRequest, TokenRequestSpec } from "../../control/api/types/authentication_v1.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { DenoCommandRunner } from "../containerd/command_runner.ts";
import {
  type ConfigMapGetter,
  escapePluginName,
  type MountedVolume,
  type SecretGetter,
  type ServiceAccountTokenSource,
  VOLUME_PLUGINS,
  VolumeManager,
  type VolumeManagerOptions,
  VolumeSetUpError,
} from "./volume_manager.ts";
import { FakeMountRunner } from "./_fake_mount_runner.ts";

const UID = "0c8a9d52-1b1f-4c3e-9a55-5d1f2c3b4a01";
const MI = 1024 * 1024;

class FakeObjects implements ConfigMapGetter, SecretGetter {
  readonly configMaps = new Map<string, ConfigMap>();
  readonly secrets = new Map<string, Secret>();
  failWith: Error | undefined;

  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve(this.configMaps.get(`${namespace}/${name}`));
  }

  getSecret(namespace: string, name: string): Promise<Secret | undefined> {
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve(this.secrets.get(`${namespace}/${name}`));
  }

  putConfigMap(namespace: string, name: string, data: Record<string, string>): void {
    this.configMaps.set(`${namespace}/${name}`, { metadata: { namespace, name }, data });
  }

  putSecret(namespace: string, name: string, data: Record<string, string>): void {
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, btoa(v)]));
    this.secrets.set(`${namespace}/${name}`, { metadata: { namespace, name }, data: encoded });
  }
}

class FakeTokens implements ServiceAccountTokenSource {
  readonly requests: { namespace: string; name: string; spec: TokenRequestSpec }[] = [];
  readonly deleted: string[] = [];
  token = "token-1";

  getServiceAccountToken(
    namespace: string,
    name: string,
    spec: TokenRequestSpec,
  ): Promise<TokenRequest> {
    this.requests.push({ namespace, name, spec });
    return Promise.resolve({
      spec,
      status: { token: this.token, expirationTimestamp: "2030-01-01T00:00:00Z" },
    });
  }

  deleteServiceAccountTokens(podUid: string): void {
    this.deleted.push(podUid);
  }
}

interface Harness {
  readonly dir: string;
  readonly podsDir: string;
  readonly objects: FakeObjects;
  readonly tokens: FakeTokens;
  readonly runner: FakeMountRunner;
  readonly manager: VolumeManager;
  readonly logger: RecordingLogger;
}

async function withManager(
  fn: (h: Harness) => Promise<void>,
  options: Partial<VolumeManagerOptions> = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-volumes-" });
  const podsDir = `${dir}/pods`;
  const objects = new FakeObjects();
  const tokens = new FakeTokens();
  const runner = new FakeMountRunner();
  const logger = new RecordingLogger();
  const manager = new VolumeManager({
    podsDir,
    configMaps: objects,
    secrets: objects,
    tokens,
    runner,
    readMountInfo: () => runner.mountInfo(),
    nodeAllocatable: () => ({ cpu: "4", memory: "8Gi" }),
    logger,
    ...options,
  });
  try {
    await fn({ dir, podsDir, objects, tokens, runner, manager, logger });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function basePod(volumes: Volume[], extra: Partial<Pod> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "web",
      namespace: "shop",
      uid: UID,
      labels: { app: "web" },
      ...extra.metadata,
    },
    spec: {
      serviceAccountName: "web-sa",
      containers: [{ name: "app", image: "busybox", resources: { limits: { memory: "256Mi" } } }],
      volumes,
      ...extra.spec,
    },
  };
}

function kubeApiAccess(): Volume[] {
  return [{
    name: "kube-api-access-x7k2p",
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
        {
          downwardAPI: {
            items: [{
              path: "namespace",
              fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" },
            }],
          },
        },
      ],
    },
  }];
}

function volumeDir(podsDir: string, plugin: string, name: string): string {
  return `${podsDir}/${UID}/volumes/${escapePluginName(plugin)}/${name}`;
}

async function mode(path: string): Promise<number> {
  return ((await Deno.stat(path)).mode ?? 0) & 0o7777;
}

async function dataDir(dir: string): Promise<string> {
  return await Deno.readLink(`${dir}/..data`);
}

Deno.test("escapePluginName() turns the plugin name into upstream's directory name", () => {
  assert.equal(escapePluginName("kubernetes.io/empty-dir"), "kubernetes.io~empty-dir");
});

Deno.test("VolumeManager.setUpPod() sets up every kind of volume in upstream's layout", async () => {
  await withManager(async ({ dir, podsDir, objects, tokens, runner, manager }) => {
    objects.putConfigMap("shop", "app", { "app.conf": "port = 80\n", other: "x" });
    objects.putConfigMap("shop", "kube-root-ca.crt", { "ca.crt": "-----BEGIN CERTIFICATE-----" });
    objects.putSecret("shop", "creds", { username: "admin", password: "s3cr3t" });
    const pod = basePod([
      { name: "scratch", emptyDir: { sizeLimit: "1Gi" } },
      { name: "cache", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
      { name: "shm", emptyDir: { medium: "Memory" } },
      {
        name: "config",
        configMap: { name: "app", items: [{ key: "app.conf", path: "conf/app.conf" }] },
      },
      { name: "creds", secret: { secretName: "creds", defaultMode: 0o400 } },
      {
        name: "podinfo",
        downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] },
      },
      ...kubeApiAccess(),
      { name: "host", hostPath: { path: `${dir}/host/data`, type: "DirectoryOrCreate" } },
    ]);
    const volumes = await manager.setUpPod(pod);

    const expect = (name: string, plugin: string, more: Partial<MountedVolume>) => ({
      name,
      plugin,
      hostPath: volumeDir(podsDir, plugin, name),
      readOnly: false,
      memoryBacked: false,
      ...more,
    });
    assert.deepEqual(Object.fromEntries(volumes), {
      scratch: expect("scratch", VOLUME_PLUGINS.emptyDir, { sizeLimitBytes: 1024n * BigInt(MI) }),
      cache: expect("cache", VOLUME_PLUGINS.emptyDir, { memoryBacked: true }),
      shm: expect("shm", VOLUME_PLUGINS.emptyDir, { memoryBacked: true }),
      config: expect("config", VOLUME_PLUGINS.configMap, { readOnly: true }),
      creds: expect("creds", VOLUME_PLUGINS.secret, { readOnly: true, memoryBacked: true }),
      podinfo: expect("podinfo", VOLUME_PLUGINS.downwardAPI, { readOnly: true }),
      "kube-api-access-x7k2p": expect("kube-api-access-x7k2p", VOLUME_PLUGINS.projected, {
        readOnly: true,
        memoryBacked: true,
      }),
      host: {
        name: "host",
        plugin: VOLUME_PLUGINS.hostPath,
        hostPath: `${dir}/host/data`,
        readOnly: false,
        memoryBacked: false,
      },
    });

    // tmpfs: the emptyDir's sizeLimit, else the pod's memory limit (below allocatable).
    assert.deepEqual(runner.commands, [
      [
        "mount",
        "-t",
        "tmpfs",
        "-o",
        `size=${64 * MI}`,
        "tmpfs",
        volumes.get("cache")?.hostPath ?? "",
      ],
      [
        "mount",
        "-t",
        "tmpfs",
        "-o",
        `size=${256 * MI}`,
        "tmpfs",
        volumes.get("shm")?.hostPath ?? "",
      ],
      [
        "mount",
        "-t",
        "tmpfs",
        "-o",
        `size=${256 * MI}`,
        "tmpfs",
        volumes.get("creds")?.hostPath ?? "",
      ],
      [
        "mount",
        "-t",
        "tmpfs",
        "-o",
        `size=${256 * MI}`,
        "tmpfs",
        volumes.get("kube-api-access-x7k2p")?.hostPath ?? "",
      ],
    ]);

    const path = (name: string) => volumes.get(name)?.hostPath ?? "";
    assert.equal(await mode(path("scratch")), 0o777);
    assert.equal(await Deno.readTextFile(`${path("config")}/conf/app.conf`), "port = 80\n");
    await assert.rejects(Deno.lstat(`${path("config")}/other`), Deno.errors.NotFound);
    assert.equal(await Deno.readLink(`${path("config")}/conf`), "..data/conf");
    assert.equal(await Deno.readTextFile(`${path("creds")}/password`), "s3cr3t");
    assert.equal(await mode(`${path("creds")}/password`), 0o400);
    assert.equal(await Deno.readTextFile(`${path("podinfo")}/labels`), 'app="web"');
    const access = path("kube-api-access-x7k2p");
    assert.equal(await Deno.readTextFile(`${access}/token`), "token-1");
    assert.equal(await mode(`${access}/token`), 0o644);
    assert.equal(await Deno.readTextFile(`${access}/ca.crt`), "-----BEGIN CERTIFICATE-----");
    assert.equal(await Deno.readTextFile(`${access}/namespace`), "shop");
    assert.ok((await Deno.stat(`${dir}/host/data`)).isDirectory);

    assert.deepEqual(tokens.requests, [{
      namespace: "shop",
      name: "web-sa",
      spec: {
        expirationSeconds: 3607,
        boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "web", uid: UID },
      },
    }]);
  });
});

Deno.test("VolumeManager.setUpPod() is idempotent and writes nothing the second time", async () => {
  await withManager(async ({ objects, runner, manager }) => {
    objects.putConfigMap("shop", "kube-root-ca.crt", { "ca.crt": "CA" });
    const pod = basePod([
      { name: "cache", emptyDir: { medium: "Memory" } },
      ...kubeApiAccess(),
    ]);
    const first = await manager.setUpPod(pod);
    const access = first.get("kube-api-access-x7k2p")?.hostPath ?? "";
    const before = await dataDir(access);
    const second = await manager.setUpPod(pod);
    assert.deepEqual(second, first);
    assert.equal(await dataDir(access), before);
    assert.equal(runner.commands.length, 2, "no second mount");
  });
});

Deno.test("VolumeManager.setUpPod() reports failures as the kubelet's FailedMount events", async (t) => {
  await withManager(async ({ objects, manager }) => {
    objects.putConfigMap("shop", "app", { "app.conf": "x" });
    const cases: [string, Volume[], string[]][] = [
      [
        "a missing ConfigMap",
        [{ name: "config", configMap: { name: "nope" } }],
        ['MountVolume.SetUp failed for volume "config" : configmap "nope" not found'],
      ],
      [
        "a missing key",
        [{ name: "config", configMap: { name: "app", items: [{ key: "missing", path: "m" }] } }],
        [
          'MountVolume.SetUp failed for volume "config" : configmap references non-existent config key: missing',
        ],
      ],
      [
        "a missing Secret",
        [{ name: "creds", secret: { secretName: "creds" } }],
        ['MountVolume.SetUp failed for volume "creds" : secret "creds" not found'],
      ],
      [
        "several failing projected sources",
        [{
          name: "all",
          projected: {
            sources: [{ configMap: { name: "a" } }, { secret: { name: "b" } }, {
              downwardAPI: { items: [{ path: "ip", fieldRef: { fieldPath: "status.podIP" } }] },
            }],
          },
        }],
        [
          'MountVolume.SetUp failed for volume "all" : [configmap "a" not found, secret "b" not found, unsupported fieldPath: status.podIP]',
        ],
      ],
      [
        "a hostPath type mismatch",
        [{ name: "host", hostPath: { path: "/dev/null", type: "Directory" } }],
        [
          'MountVolume.SetUp failed for volume "host" : hostPath type check failed: /dev/null is not a directory',
        ],
      ],
      [
        "an unsupported medium",
        [{ name: "huge", emptyDir: { medium: "HugePages" } }],
        ['MountVolume.SetUp failed for volume "huge" : unknown storage medium "HugePages"'],
      ],
      [
        "an unsupported volume type, next to a good one",
        [{ name: "data", persistentVolumeClaim: { claimName: "data" } }, {
          name: "ok",
          emptyDir: {},
        }],
        ['MountVolume.FindPluginBySpec failed for volume "data" : no volume plugin matched'],
      ],
    ];
    for (const [name, volumes, messages] of cases) {
      await t.step(name, async () => {
        const err = await manager.setUpPod(basePod(volumes)).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof VolumeSetUpError, String(err));
        assert.deepEqual(err.failures.map((f) => f.message), messages);
        assert.deepEqual(
          err.failures.map((f) => [f.podNamespace, f.podName, f.podUid]),
          messages.map(() => ["shop", "web", UID]),
        );
      });
    }
    await t.step("a getter failure", async () => {
      objects.failWith = new Error('Get "https://api/": connection refused');
      const err = await manager.setUpPod(basePod([{ name: "config", configMap: { name: "app" } }]))
        .then(() => undefined, (e: unknown) => e);
      objects.failWith = undefined;
      assert.ok(err instanceof VolumeSetUpError);
      assert.equal(
        err.failures[0]?.message,
        'MountVolume.SetUp failed for volume "config" : Get "https://api/": connection refused',
      );
    });
  });
});

Deno.test("VolumeManager.setUpPod() sets up optional volumes whose source is missing", async () => {
  await withManager(async ({ manager }) => {
    const volumes = await manager.setUpPod(basePod([
      { name: "config", configMap: { name: "nope", optional: true } },
      {
        name: "creds",
        secret: { secretName: "nope", optional: true, items: [{ key: "k", path: "k" }] },
      },
    ]));
    const config = volumes.get("config")?.hostPath ?? "";
    assert.deepEqual(await Array.fromAsync(Deno.readDir(`${config}/..data`)), []);
  });
});

Deno.test("VolumeManager.onConfigMapChanged() brings new contents into running pods", async () => {
  await withManager(async ({ objects, manager }) => {
    objects.putConfigMap("shop", "app", { "app.conf": "v1" });
    objects.putConfigMap("shop", "kube-root-ca.crt", { "ca.crt": "CA1" });
    const pod = basePod([
      { name: "config", configMap: { name: "app" } },
      ...kubeApiAccess(),
    ]);
    const volumes = await manager.setUpPod(pod);
    const config = volumes.get("config")?.hostPath ?? "";
    const access = volumes.get("kube-api-access-x7k2p")?.hostPath ?? "";

    objects.putConfigMap("shop", "app", { "app.conf": "v2", added: "new" });
    assert.deepEqual(await manager.onConfigMapChanged("shop", "app"), []);
    assert.equal(await Deno.readTextFile(`${config}/app.conf`), "v2");
    assert.equal(await Deno.readTextFile(`${config}/added`), "new");

    objects.putConfigMap("shop", "app", { "app.conf": "v3" });
    await manager.onConfigMapChanged("shop", "app");
    assert.equal(await Deno.readTextFile(`${config}/app.conf`), "v3");
    await assert.rejects(Deno.lstat(`${config}/added`), Deno.errors.NotFound);

    // Unchanged or unrelated: nothing is written.
    const before = [await dataDir(config), await dataDir(access)];
    await manager.onConfigMapChanged("shop", "app");
    await manager.onConfigMapChanged("other", "app");
    objects.putConfigMap("shop", "unrelated", { a: "b" });
    await manager.onConfigMapChanged("shop", "unrelated");
    assert.deepEqual([await dataDir(config), await dataDir(access)], before);

    // A projected source.
    objects.putConfigMap("shop", "kube-root-ca.crt", { "ca.crt": "CA2" });
    await manager.onConfigMapChanged("shop", "kube-root-ca.crt");
    assert.equal(await Deno.readTextFile(`${access}/ca.crt`), "CA2");

    // Deleted: the pod keeps the last contents and the failure is reported.
    objects.configMaps.delete("shop/app");
    const failures = await manager.onConfigMapChanged("shop", "app");
    assert.deepEqual(failures.map((f) => f.message), [
      'MountVolume.SetUp failed for volume "config" : configmap "app" not found',
    ]);
    assert.equal(await Deno.readTextFile(`${config}/app.conf`), "v3");
  });
});

Deno.test("VolumeManager.onConfigMapChanged() sets up a volume whose ConfigMap appeared", async () => {
  await withManager(async ({ podsDir, objects, manager }) => {
    const pod = basePod([{ name: "config", configMap: { name: "late" } }]);
    await assert.rejects(manager.setUpPod(pod), VolumeSetUpError);
    objects.putConfigMap("shop", "late", { k: "v" });
    assert.deepEqual(await manager.onConfigMapChanged("shop", "late"), []);
    const dir = volumeDir(podsDir, VOLUME_PLUGINS.configMap, "config");
    assert.equal(await Deno.readTextFile(`${dir}/k`), "v");
  });
});

Deno.test("VolumeManager.onSecretChanged() rewrites secret and projected volumes", async () => {
  await withManager(async ({ objects, manager }) => {
    objects.putSecret("shop", "creds", { password: "one" });
    const volumes = await manager.setUpPod(basePod([
      { name: "creds", secret: { secretName: "creds" } },
      {
        name: "mixed",
        projected: {
          sources: [{ secret: { name: "creds", items: [{ key: "password", path: "pw" }] } }],
        },
      },
    ]));
    objects.putSecret("shop", "creds", { password: "two" });
    assert.deepEqual(await manager.onSecretChanged("shop", "creds"), []);
    assert.equal(await Deno.readTextFile(`${volumes.get("creds")?.hostPath}/password`), "two");
    assert.equal(await Deno.readTextFile(`${volumes.get("mixed")?.hostPath}/pw`), "two");
  });
});

Deno.test("VolumeManager.onPodUpdated() rewrites downward API files", async () => {
  await withManager(async ({ manager }) => {
    const items = [
      { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
      { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } },
    ];
    const pod = basePod([
      { name: "podinfo", downwardAPI: { items } },
      { name: "proj", projected: { sources: [{ downwardAPI: { items } }] } },
    ]);
    const volumes = await manager.setUpPod(pod);
    const updated = basePod(pod.spec?.volumes ?? [], {
      metadata: { labels: { app: "web", version: "2" }, annotations: { note: 'say "hi"' } },
    });
    assert.deepEqual(await manager.onPodUpdated(updated), []);
    for (const name of ["podinfo", "proj"]) {
      const dir = volumes.get(name)?.hostPath ?? "";
      assert.equal(await Deno.readTextFile(`${dir}/labels`), 'app="web"\nversion="2"');
      assert.equal(await Deno.readTextFile(`${dir}/annotations`), 'note="say \\"hi\\""');
    }
    // A pod the manager does not know is ignored.
    assert.deepEqual(await manager.onPodUpdated({ ...updated, metadata: { uid: "other" } }), []);
  });
});

Deno.test("VolumeManager.onServiceAccountTokenRefreshed() writes the new token", async () => {
  await withManager(async ({ objects, tokens, manager }) => {
    objects.putConfigMap("shop", "kube-root-ca.crt", { "ca.crt": "CA" });
    const volumes = await manager.setUpPod(basePod(kubeApiAccess()));
    const access = volumes.get("kube-api-access-x7k2p")?.hostPath ?? "";
    tokens.token = "token-2";
    assert.deepEqual(await manager.onServiceAccountTokenRefreshed("someone-else"), []);
    assert.equal(await Deno.readTextFile(`${access}/token`), "token-1");
    assert.deepEqual(await manager.onServiceAccountTokenRefreshed(UID), []);
    assert.equal(await Deno.readTextFile(`${access}/token`), "token-2");
  });
});

Deno.test("VolumeManager.tearDownPod() unmounts tmpfs volumes and removes the pod's directories", async () => {
  await withManager(async ({ podsDir, objects, tokens, runner, manager }) => {
    objects.putConfigMap("shop", "kube-root-ca.crt", { "ca.crt": "CA" });
    const volumes = await manager.setUpPod(basePod([
      { name: "cache", emptyDir: { medium: "Memory" } },
      { name: "scratch", emptyDir: {} },
      ...kubeApiAccess(),
    ]));
    assert.equal(runner.mounts.length, 2);
    await manager.tearDownPod(UID);
    assert.deepEqual(
      runner.commands.filter((c) => c[0] === "umount").map((c) => c[1]).sort(),
      [volumes.get("cache")?.hostPath, volumes.get("kube-api-access-x7k2p")?.hostPath].sort(),
    );
    assert.equal(runner.mounts.length, 0);
    await assert.rejects(Deno.lstat(`${podsDir}/${UID}`), Deno.errors.NotFound);
    assert.deepEqual(tokens.deleted, [UID]);
    assert.deepEqual(manager.podUids, []);
    // Again: nothing left to do.
    await manager.tearDownPod(UID);
  });
});

Deno.test("VolumeManager.tearDownPod() keeps the pod directory when other files are in it", async () => {
  await withManager(async ({ podsDir, manager }) => {
    await manager.setUpPod(basePod([{ name: "scratch", emptyDir: {} }]));
    await Deno.mkdir(`${podsDir}/${UID}/containers`);
    await manager.tearDownPod(UID);
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(`${podsDir}/${UID}`))).map((e) => e.name),
      ["containers"],
    );
  });
});

Deno.test("VolumeManager.tearDownPod() refuses to remove a directory with a foreign mount", async () => {
  await withManager(async ({ podsDir, runner, manager }) => {
    const volumes = await manager.setUpPod(basePod([{ name: "scratch", emptyDir: {} }]));
    const inner = `${volumes.get("scratch")?.hostPath}/bind`;
    await Deno.mkdir(inner);
    runner.mounts.push({ dir: inner, fsType: "ext4" });
    await assert.rejects(manager.tearDownPod(UID), {
      message:
        `Cannot tear down the volumes of pod "${UID}": a ext4 file system is mounted at "${inner}"`,
    });
    assert.ok((await Deno.stat(inner)).isDirectory, "nothing was removed");
    assert.ok((await Deno.stat(`${podsDir}/${UID}/volumes`)).isDirectory);
  });
});

Deno.test("VolumeManager.tearDownOrphans() tears down pods left on disk", async () => {
  await withManager(async ({ podsDir, runner, logger }) => {
    const first = new VolumeManager({
      podsDir,
      configMaps: new FakeObjects(),
      secrets: new FakeObjects(),
      tokens: new FakeTokens(),
      runner,
      readMountInfo: () => runner.mountInfo(),
      nodeAllocatable: () => ({}),
      logger,
    });
    await first.setUpPod(basePod([{ name: "cache", emptyDir: { medium: "Memory" } }]));
    const kept = basePod([{ name: "scratch", emptyDir: {} }], { metadata: { uid: "kept" } });
    await first.setUpPod(kept);
    // tmpfs without a size: the kernel default, as node allocatable is unknown.
    assert.deepEqual(runner.commands[0]?.slice(0, 4), ["mount", "-t", "tmpfs", "tmpfs"]);
    // An agent restart: a new manager knows nothing of the pods.
    const second = new VolumeManager({
      podsDir,
      configMaps: new FakeObjects(),
      secrets: new FakeObjects(),
      tokens: new FakeTokens(),
      runner,
      readMountInfo: () => runner.mountInfo(),
      nodeAllocatable: () => ({}),
      logger,
    });
    assert.deepEqual(await second.tearDownOrphans(["kept"]), [UID]);
    assert.equal(runner.mounts.length, 0);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(podsDir))).map((e) => e.name), ["kept"]);
  });
});

Deno.test("VolumeManager rejects unsafe pod UIDs and volume names", async () => {
  await withManager(async ({ manager }) => {
    await assert.rejects(
      manager.setUpPod({ metadata: { uid: "../etc" }, spec: { containers: [] } }),
      { name: "TypeError", message: 'Cannot manage the volumes of a pod with UID "../etc"' },
    );
    await assert.rejects(manager.tearDownPod(""), TypeError);
    assert.throws(() => manager.volumePath(UID, VOLUME_PLUGINS.emptyDir, ".."), TypeError);
  });
});

Deno.test("VolumeManager applies fsGroup and the token's owner (as root)", async () => {
  assert.equal(Deno.uid(), 0, "this test changes file owners: run it as root");
  await withManager(async ({ objects, manager }) => {
    objects.putConfigMap("shop", "kube-root-ca.crt", { "ca.crt": "CA" });
    objects.putConfigMap("shop", "app", { "app.conf": "x" });
    const pod = basePod([
      ...kubeApiAccess(),
      { name: "config", configMap: { name: "app" } },
      { name: "scratch", emptyDir: {} },
    ], {
      spec: {
        securityContext: { runAsUser: 1000, fsGroup: 2000 },
        containers: [{ name: "app", image: "busybox" }],
      },
    });
    const volumes = await manager.setUpPod(pod);
    const access = volumes.get("kube-api-access-x7k2p")?.hostPath ?? "";
    const token = await Deno.stat(`${access}/token`);
    assert.deepEqual([token.uid, token.gid, (token.mode ?? 0) & 0o7777], [1000, 2000, 0o640]);
    const ca = await Deno.stat(`${access}/ca.crt`);
    assert.deepEqual([ca.uid, ca.gid, (ca.mode ?? 0) & 0o7777], [0, 2000, 0o644]);
    const scratch = await Deno.stat(volumes.get("scratch")?.hostPath ?? "");
    assert.deepEqual([scratch.gid, (scratch.mode ?? 0) & 0o7777], [2000, 0o2777]);
    const config = await Deno.stat(volumes.get("config")?.hostPath ?? "");
    assert.deepEqual([config.gid, (config.mode ?? 0) & 0o7777], [2000, 0o2777]);
    // Containers running as different users: no fsUser, the token is 0600 + group read.
    const mixed = basePod(kubeApiAccess(), {
      metadata: { uid: "mixed" },
      spec: {
        securityContext: { fsGroup: 2000 },
        containers: [{ name: "a", securityContext: { runAsUser: 1 } }, { name: "b" }],
      },
    });
    const other = await manager.setUpPod(mixed);
    const mixedToken = await Deno.stat(`${other.get("kube-api-access-x7k2p")?.hostPath}/token`);
    assert.deepEqual([mixedToken.uid, (mixedToken.mode ?? 0) & 0o7777], [0, 0o640]);
  });
});

Deno.test("VolumeManager mounts, sizes and unmounts a real tmpfs emptyDir (as root)", async () => {
  assert.equal(Deno.uid(), 0, "this test mounts tmpfs volumes: run it as root");
  await withManager(async ({ podsDir, dir, manager }) => {
    const pod = basePod([
      { name: "cache", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
      { name: "sock-dir", hostPath: { path: `${dir}/run`, type: "DirectoryOrCreate" } },
      { name: "log", hostPath: { path: `${dir}/run/app.log`, type: "FileOrCreate" } },
      { name: "null", hostPath: { path: "/dev/null", type: "CharDevice" } },
    ]);
    const volumes = await manager.setUpPod(pod);
    const cache = volumes.get("cache")?.hostPath ?? "";
    try {
      const real = await Deno.realPath(cache);
      const line = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
        .findLast((l) => l.split(" ")[4] === real);
      assert.match(line ?? "", / - tmpfs tmpfs .*size=1024k/);
      await Deno.writeFile(`${cache}/half`, new Uint8Array(512 * 1024));
      await assert.rejects(Deno.writeFile(`${cache}/more`, new Uint8Array(MI)), /No space left/);
      assert.ok((await Deno.stat(`${dir}/run/app.log`)).isFile);
      assert.equal(volumes.get("null")?.hostPath, "/dev/null");
      // A second set-up keeps the mount and its contents.
      await manager.setUpPod(pod);
      assert.equal((await Deno.stat(`${cache}/half`)).size, 512 * 1024);
    } finally {
      await manager.tearDownPod(UID);
    }
    const mountinfo = await Deno.readTextFile("/proc/self/mountinfo");
    assert.ok(!mountinfo.includes(podsDir), "nothing stays mounted");
    await assert.rejects(Deno.lstat(`${podsDir}/${UID}`), Deno.errors.NotFound);
    assert.ok((await Deno.stat(`${dir}/run`)).isDirectory, "hostPath volumes are left alone");
  }, {
    runner: new DenoCommandRunner(),
    readMountInfo: () => Deno.readTextFile("/proc/self/mountinfo"),
  });
});
