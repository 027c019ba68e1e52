/**
 * Chaos for the Deployment and ReplicaSet controllers: the controller manager is stopped in the
 * middle of a rolling update and a new one (fresh caches, no expectations) takes over. The
 * rollout still ends with exactly `replicas` pods of the new template, and at no moment were
 * there more than `replicas + maxSurge` pods or fewer than `replicas - maxUnavailable` ready
 * ones — as watched from a pod informer of the test's own, event by event.
 */
import assert from "node:assert/strict";
import type { Deployment } from "../../control/api/types/apps_v1.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { Informer } from "../../control/client/informer.ts";
import { DEPLOYMENTS, PODS, REPLICA_SETS } from "../../control/client/resources.ts";
import { isPodReady } from "../../control/controllers/active_pods.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { startControllerApi, until } from "../_support/controller_api.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { startTestManager } from "../_support/test_manager.ts";

const REPLICAS = 10;
const SURGE = 2;

function deployment(): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { namespace: "default", name: "web" },
    spec: {
      replicas: REPLICAS,
      // Each step waits a second for availability, so the rollout takes several seconds.
      minReadySeconds: 1,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: SURGE, maxUnavailable: 0 } },
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "main", image: "nginx:1" }] },
      },
    },
  };
}

Deno.test("a rolling update converges with no extra or lost pods when the controller manager restarts mid-way", async () => {
  await using api = await startControllerApi();
  const client = api.client;
  await using _kubelet = await FakeKubelet.start({
    client,
    nodes: ["node-1", "node-2"],
    bindUnscheduled: true,
  });
  const logger = new RecordingLogger();
  const startManager = (identity: string) =>
    startTestManager(api.transport, { logger, identity, controllers: ["replicaset", "deployment"] })
      .stop;

  // Watch every pod change and keep the extremes.
  const watching = new AbortController();
  const pods = new Informer(client.resource(PODS), { clock: systemClock, logger });
  let maxLive = 0;
  let minReady = Infinity;
  let counting = false;
  const count = () => {
    const live = pods.store.list().filter((p: Pod) => !p.metadata?.deletionTimestamp);
    maxLive = Math.max(maxLive, live.length);
    if (counting) minReady = Math.min(minReady, live.filter(isPodReady).length);
  };
  pods.addHandler({ add: count, update: count, delete: count });
  const informing = pods.run(watching.signal);
  await pods.waitForSync();

  const deployments = client.resource(DEPLOYMENTS);
  const sets = client.resource(REPLICA_SETS);
  const get = () => deployments.get("web", { namespace: "default" });
  const complete = (d: Deployment) =>
    (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    d.status?.updatedReplicas === REPLICAS && d.status?.replicas === REPLICAS &&
    d.status?.availableReplicas === REPLICAS;
  let stopManager = startManager("first");
  try {
    await deployments.create(deployment());
    await until(async () => complete(await get()), {
      what: "the first rollout",
      timeoutMs: 30_000,
    });
    maxLive = 0;
    counting = true;

    await deployments.patch("web", {
      namespace: "default",
      type: "merge",
      body: { spec: { template: { spec: { containers: [{ name: "main", image: "nginx:2" }] } } } },
    });
    // Mid-way: some new pods exist, the rollout is not done.
    await until(async () => {
      const d = await get();
      return (d.status?.updatedReplicas ?? 0) >= SURGE && !complete(d);
    }, { what: "the rollout to be under way", timeoutMs: 20_000, intervalMs: 20 });
    await stopManager();
    const atStop = await get();
    assert.ok(!complete(atStop), "the restart happens mid-rollout");
    await new Promise((r) => setTimeout(r, 300));
    stopManager = startManager("second");

    await until(async () => complete(await get()), {
      what: "the rollout to finish after the restart",
      timeoutMs: 40_000,
    });
    const live = pods.store.list().filter((p) => !p.metadata?.deletionTimestamp);
    assert.equal(live.length, REPLICAS);
    assert.ok(live.every((p) => p.spec?.containers[0]?.image === "nginx:2"));
    assert.equal(new Set(live.map((p) => p.metadata?.name)).size, REPLICAS);
    assert.ok(
      maxLive <= REPLICAS + SURGE,
      `at most ${REPLICAS + SURGE} pods at once, saw ${maxLive}`,
    );
    assert.ok(
      minReady >= REPLICAS,
      `at least ${REPLICAS} ready pods at all times, saw ${minReady}`,
    );
    const rsList = (await sets.list({ namespace: "default" })).items;
    assert.deepEqual(
      rsList.map((rs) => rs.spec?.replicas).sort((a, b) => (a ?? 0) - (b ?? 0)),
      [0, REPLICAS],
    );
    assert.equal((await get()).metadata?.annotations?.["deployment.kubernetes.io/revision"], "2");
  } finally {
    await stopManager();
    watching.abort();
    await informing;
  }
});
