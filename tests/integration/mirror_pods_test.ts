/**
 * Static pods' mirror pods (`node/static_pods/`) against the real API in process, written with
 * a node credential (`system:node:edge-1` in `system:nodes`) through the Node authorizer and
 * the NodeRestriction admission plugin: a manifest gets its mirror pod (annotated with the
 * static pod's hash, owned by the Node), a deleted mirror pod comes back, a changed manifest
 * replaces it, a removed manifest deletes it, and a mirror pod left from before with no static
 * pod is deleted once the manifests were read.
 */
import assert from "node:assert/strict";
import { NodeRestriction } from "../../control/api/admission/node_restriction.ts";
import { NodeAuthorizer } from "../../control/api/auth/node_authorizer.ts";
import { InProcessClient } from "../../control/api/in_process_client.ts";
import { createTestApp, type TestApp } from "../../control/api/_test_app.ts";
import { MIRROR_POD_ANNOTATION, type Pod } from "../../control/api/types/core_v1_pod.ts";
import { Client } from "../../control/client/client.ts";
import { isNotFound } from "../../control/client/errors.ts";
import { Informer } from "../../control/client/informer.ts";
import { NODES, PODS } from "../../control/client/resources.ts";
import type { Transport } from "../../control/client/transport.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { CONFIG_HASH_ANNOTATION } from "../../node/static_pods/static_pod.ts";
import { mirrorPodFor, MirrorPods } from "../../node/static_pods/mirror_pods.ts";
import { StaticPodSource } from "../../node/static_pods/static_pod_source.ts";
import { until } from "../_support/controller_api.ts";

const NODE = "edge-1";

function nodeTransport(app: TestApp, node: string): Transport {
  const client = new InProcessClient(app.app, {
    username: `system:node:${node}`,
    groups: ["system:nodes", "system:authenticated"],
  });
  return { request: (method, path, opts) => client.request(method, path, opts ?? {}) };
}

async function securedApp(): Promise<TestApp> {
  const app = await createTestApp({
    authenticator: () => ({ authenticate: () => Promise.resolve(null) }),
    authorizer: (parts) =>
      new NodeAuthorizer({
        pods: parts.views.get("/registry/pods/"),
        persistentVolumes: parts.views.get("/registry/persistentvolumes/"),
      }),
    admission: (parts) => [
      new NodeRestriction({
        pods: parts.views.get("/registry/pods/"),
        nodes: parts.views.get("/registry/nodes/"),
      }),
    ],
  });
  for (const prefix of ["/registry/pods/", "/registry/persistentvolumes/", "/registry/nodes/"]) {
    await app.views.started(prefix);
  }
  return app;
}

function manifest(name: string, image: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: kube-system
  labels:
    component: ${name}
spec:
  containers:
  - name: main
    image: ${image}
`;
}

async function getPod(client: Client, name: string): Promise<Pod | undefined> {
  try {
    return await client.resource(PODS).get(name, { namespace: "kube-system" });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

Deno.test("MirrorPods keeps a mirror pod in the API for each static pod, with a node's credentials", async (t) => {
  await using app = await securedApp();
  const admin = new Client(
    { request: (method, path, opts) => app.client.request(method, path, opts ?? {}) },
    { fieldManager: "test" },
  );
  const nodeClient = new Client(nodeTransport(app, NODE), { fieldManager: "skiff-agent" });
  const node = await admin.resource(NODES).create({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: NODE },
  });
  const dir = await Deno.makeTempDir({ prefix: "mirror_pods_" });
  const logger = new RecordingLogger();
  const source = new StaticPodSource({ dir, nodeName: NODE, logger });

  // A mirror pod left from before whose manifest is gone.
  await Deno.writeTextFile(`${dir}/old.yaml`, manifest("old", "busybox"));
  const stale = (await source.scan()).pods[0]!;
  await Deno.remove(`${dir}/old.yaml`);
  await nodeClient.resource(PODS).create(
    mirrorPodFor(stale, { name: NODE, uid: node.metadata?.uid ?? "" }),
  );

  const abort = new AbortController();
  const informer = new Informer(nodeClient.resource(PODS), {
    fieldSelector: `spec.nodeName=${NODE}`,
    clock: systemClock,
    logger,
  });
  const informing = informer.run(abort.signal);
  const terminating = new Set<string>();
  const mirrors = new MirrorPods({
    client: nodeClient,
    nodeName: NODE,
    pods: informer,
    logger,
    isTerminating: (fullName) => terminating.has(fullName),
  });
  const running = mirrors.run(abort.signal);
  try {
    await Deno.writeTextFile(`${dir}/etcd.yaml`, manifest("etcd", "busybox:1.36"));
    let staticPod = (await source.scan()).pods[0]!;
    mirrors.setStaticPods([staticPod]);

    await t.step("the orphaned mirror pod is deleted once the manifests were read", async () => {
      await until(async () => (await getPod(admin, "old-edge-1")) === undefined, {
        what: "the orphaned mirror pod deleted",
      });
    });

    let firstUid = "";
    await t.step("a static pod gets a mirror pod owned by the Node", async () => {
      await until(async () => (await getPod(admin, "etcd-edge-1")) !== undefined, {
        what: "the mirror pod created",
      });
      const mirror = (await getPod(admin, "etcd-edge-1"))!;
      firstUid = mirror.metadata?.uid ?? "";
      const hash = staticPod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
      assert.equal(mirror.metadata?.annotations?.[MIRROR_POD_ANNOTATION], hash);
      assert.equal(mirror.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], hash);
      assert.equal(mirror.metadata?.annotations?.["kubernetes.io/config.source"], "file");
      assert.deepEqual(mirror.metadata?.ownerReferences, [{
        apiVersion: "v1",
        kind: "Node",
        name: NODE,
        uid: node.metadata?.uid,
        controller: true,
      }]);
      assert.notEqual(firstUid, staticPod.metadata?.uid, "the API gives the mirror its own UID");
      assert.equal(mirror.spec?.nodeName, NODE);
      assert.deepEqual(mirror.metadata?.labels, { component: "etcd" });
      assert.equal(mirrors.mirrorPodOf(staticPod)?.metadata?.uid ?? firstUid, firstUid);
    });

    await t.step("a deleted mirror pod is created again", async () => {
      await admin.resource(PODS).delete("etcd-edge-1", {
        namespace: "kube-system",
        gracePeriodSeconds: 0,
      });
      await until(async () => {
        const pod = await getPod(admin, "etcd-edge-1");
        return pod !== undefined && pod.metadata?.uid !== firstUid;
      }, { what: "the mirror pod re-created" });
    });

    await t.step("a changed manifest replaces the mirror pod", async () => {
      await Deno.writeTextFile(`${dir}/etcd.yaml`, manifest("etcd", "busybox:1.37"));
      const update = await source.scan();
      staticPod = update.pods[0]!;
      assert.equal(update.added.length, 1);
      mirrors.setStaticPods(update.pods);
      const hash = staticPod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
      await until(async () => {
        const pod = await getPod(admin, "etcd-edge-1");
        return pod?.metadata?.annotations?.[MIRROR_POD_ANNOTATION] === hash;
      }, { what: "the mirror pod replaced" });
      const mirror = (await getPod(admin, "etcd-edge-1"))!;
      assert.equal(mirror.spec?.containers[0]?.image, "busybox:1.37");
    });

    await t.step("a removed manifest deletes the mirror pod", async () => {
      await Deno.remove(`${dir}/etcd.yaml`);
      mirrors.setStaticPods((await source.scan()).pods);
      await until(async () => (await getPod(admin, "etcd-edge-1")) === undefined, {
        what: "the mirror pod deleted",
      });
    });

    await t.step("a mirror pod is kept while its static pod is still terminating", async () => {
      await Deno.writeTextFile(`${dir}/slow.yaml`, manifest("slow", "busybox"));
      mirrors.setStaticPods((await source.scan()).pods);
      await until(async () => (await getPod(admin, "slow-edge-1")) !== undefined, {
        what: "the mirror pod created",
      });
      terminating.add("kube-system/slow-edge-1");
      await Deno.remove(`${dir}/slow.yaml`);
      mirrors.setStaticPods((await source.scan()).pods);
      await until(
        () =>
          logger.records.some((r) => r.msg === "Mirror pod kept while its static pod terminates"),
        {
          what: "the sync",
        },
      );
      assert.notEqual(await getPod(admin, "slow-edge-1"), undefined);
      terminating.clear();
      mirrors.resync("kube-system/slow-edge-1");
      await until(async () => (await getPod(admin, "slow-edge-1")) === undefined, {
        what: "the mirror pod deleted",
      });
    });

    await t.step("a pod from the API with a static pod's name is left alone", async () => {
      await admin.resource(PODS).create({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web-edge-1", namespace: "kube-system" },
        spec: { nodeName: NODE, containers: [{ name: "c", image: "busybox" }] },
      });
      await Deno.writeTextFile(`${dir}/web.yaml`, manifest("web", "busybox"));
      mirrors.setStaticPods((await source.scan()).pods);
      await until(
        () => logger.records.some((r) => r.msg.startsWith("A pod from the API has the name")),
        {
          what: "the warning",
        },
      );
      const pod = await getPod(admin, "web-edge-1");
      assert.equal(pod?.metadata?.annotations?.[MIRROR_POD_ANNOTATION], undefined);
      await Deno.remove(`${dir}/web.yaml`);
      mirrors.setStaticPods((await source.scan()).pods);
    });

    await t.step("nothing failed on the way", () => {
      const errors = logger.records.filter((r) => r.level === "error");
      assert.deepEqual(errors, []);
    });
  } finally {
    abort.abort();
    await running;
    await informing;
    await Deno.remove(dir, { recursive: true });
  }
});
