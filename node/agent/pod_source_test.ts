import assert from "node:assert/strict";
import { CONFIG_MAPS, PODS } from "../../control/client/resources.ts";
import { RecordingLogger, systemClock } from "../../control/util/mod.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { ConfigMap } from "../../control/api/types/core_v1_config.ts";
import { createPod, startControllerApi, until } from "../../tests/_support/controller_api.ts";
import { PodSource } from "./pod_source.ts";
import { ReferencedObjects } from "./referenced_objects.ts";

class RecordingSink {
  readonly updates: Pod[] = [];
  readonly forgotten: string[] = [];
  readonly orphanChecks: string[][] = [];
  update(pod: Pod): void {
    this.updates.push(pod);
  }
  forget(uid: string): void {
    this.forgotten.push(uid);
  }
  removeOrphans(uids: Iterable<string>): void {
    this.orphanChecks.push([...uids]);
  }
}

Deno.test("PodSource passes on the node's pods, and only those, with what they reference", async () => {
  await using api = await startControllerApi();
  const before = await createPod(api.client, {
    namespace: "default",
    name: "early",
    nodeName: "n1",
  });
  await createPod(api.client, { namespace: "default", name: "elsewhere", nodeName: "n2" });
  const sink = new RecordingSink();
  const logger = new RecordingLogger();
  const configMaps = new ReferencedObjects<ConfigMap>({
    client: api.client.resource(CONFIG_MAPS),
    clock: systemClock,
    logger,
    onChange: () => {},
  });
  const stop = new AbortController();
  const source = new PodSource({
    client: api.client,
    nodeName: "n1",
    clock: systemClock,
    logger,
    sink,
    configMaps,
    otherDesiredPods: () => ["static-uid"],
  });
  const running = source.run(stop.signal);
  try {
    await until(() => sink.orphanChecks.length === 1, { what: "the first list" });
    assert.deepEqual(sink.orphanChecks[0], [before.metadata?.uid, "static-uid"]);
    assert.deepEqual(sink.updates.map((p) => p.metadata?.name), ["early"]);

    const pods = api.client.resource(PODS);
    const withVolume = await pods.create({
      metadata: { name: "uses-config", namespace: "default" },
      spec: {
        nodeName: "n1",
        containers: [{ name: "c", image: "busybox" }],
        volumes: [{ name: "cfg", configMap: { name: "settings" } }],
      },
    });
    await until(() => sink.updates.some((p) => p.metadata?.name === "uses-config"), {
      what: "the new pod",
    });
    assert.equal(configMaps.size, 1, "its ConfigMap is watched");

    await pods.delete("uses-config", { namespace: "default", gracePeriodSeconds: 0 });
    await until(() => sink.forgotten.includes(withVolume.metadata?.uid ?? ""), {
      what: "the deleted pod to be forgotten",
    });
    assert.equal(configMaps.size, 0, "the ConfigMap's watch ends with its last pod");
    assert.ok(!sink.updates.some((p) => p.metadata?.name === "elsewhere"));

    await pods.create({
      metadata: {
        name: "static-n1",
        namespace: "default",
        annotations: {
          "kubernetes.io/config.mirror": "abc",
          "kubernetes.io/config.source": "file",
        },
      },
      spec: { nodeName: "n1", containers: [{ name: "c", image: "busybox" }] },
    });
    await pods.create({
      metadata: { name: "after-mirror", namespace: "default" },
      spec: { nodeName: "n1", containers: [{ name: "c", image: "busybox" }] },
    });
    await until(() => sink.updates.some((p) => p.metadata?.name === "after-mirror"), {
      what: "a pod created after the mirror pod",
    });
    assert.ok(
      !sink.updates.some((p) => p.metadata?.name === "static-n1"),
      "mirror pods are skipped",
    );
  } finally {
    stop.abort();
    await running;
    await configMaps.close();
  }
});
