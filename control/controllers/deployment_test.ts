import assert from "node:assert/strict";
import type { Deployment, DeploymentStatus, ReplicaSet } from "../api/types/apps_v1.ts";
import type { Pod, PodTemplateSpec } from "../api/types/core_v1_pod.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import { DEPLOYMENTS, REPLICA_SETS } from "../client/resources.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { startControllerApi } from "../../tests/_support/controller_api.ts";
import { FakeInformer } from "./_fake_informer.ts";
import {
  calculateDeploymentStatus,
  computePodTemplateHash,
  DeploymentController,
  newReplicaSetReplicas,
  POD_TEMPLATE_HASH_LABEL,
  resolveFenceposts,
  REVISION_ANNOTATION,
  scaledValue,
  setReplicaFailure,
  templatesEqualIgnoringHash,
} from "./deployment.ts";

const START_MS = Date.UTC(2025, 0, 1, 12, 0, 0);

function template(image: string): PodTemplateSpec {
  return {
    metadata: { labels: { app: "web" } },
    spec: { containers: [{ name: "main", image }] },
  };
}

function deployment(replicas: number, options: { image?: string } = {}): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { namespace: "default", name: "web" },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: template(options.image ?? "nginx:1"),
    },
  };
}

Deno.test("computePodTemplateHash() is stable, safe-encoded and changes with template and collisions", () => {
  const a = computePodTemplateHash(template("nginx:1"));
  assert.equal(a, computePodTemplateHash(structuredClone(template("nginx:1"))));
  assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.notEqual(a, computePodTemplateHash(template("nginx:2")));
  assert.notEqual(a, computePodTemplateHash(template("nginx:1"), 1));
  // Key order does not matter.
  const reordered: PodTemplateSpec = {
    spec: { containers: [{ image: "nginx:1", name: "main" }] },
    metadata: { labels: { app: "web" } },
  };
  assert.equal(a, computePodTemplateHash(reordered));
});

Deno.test("templatesEqualIgnoringHash() ignores only the pod-template-hash label", () => {
  const withHash = template("nginx:1");
  withHash.metadata!.labels![POD_TEMPLATE_HASH_LABEL] = "abc";
  assert.equal(templatesEqualIgnoringHash(withHash, template("nginx:1")), true);
  assert.equal(templatesEqualIgnoringHash(withHash, template("nginx:2")), false);
});

Deno.test("scaledValue() and resolveFenceposts() round surge up and unavailability down", async (t) => {
  const cases: [number | string | undefined, number, boolean, number][] = [
    [undefined, 10, true, 3],
    [undefined, 10, false, 2],
    ["50%", 3, true, 2],
    ["50%", 3, false, 1],
    [2, 10, true, 2],
  ];
  for (const [value, total, roundUp, want] of cases) {
    await t.step(`${value} of ${total} (${roundUp ? "up" : "down"}) is ${want}`, () => {
      assert.equal(scaledValue(value, { total, roundUp, fallback: "25%" }), want);
    });
  }
  await t.step("0 and 0 make unavailability 1", () => {
    const d = deployment(3);
    d.spec!.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } };
    assert.deepEqual(resolveFenceposts(d), { surge: 0, unavailable: 1 });
  });
  await t.step("defaults for 3 replicas are 1 surge, 0 unavailable", () => {
    assert.deepEqual(resolveFenceposts(deployment(3)), { surge: 1, unavailable: 0 });
  });
});

Deno.test("newReplicaSetReplicas() never exceeds replicas + maxSurge", () => {
  const d = deployment(4);
  const rs = (replicas: number): ReplicaSet => ({ spec: { replicas, selector: {}, template: {} } });
  const old = rs(4);
  const fresh = rs(0);
  assert.equal(newReplicaSetReplicas(d, { all: [old, fresh], newRs: fresh }), 1);
  const partly = rs(1);
  assert.equal(newReplicaSetReplicas(d, { all: [rs(3), partly], newRs: partly }), 2);
  assert.equal(newReplicaSetReplicas(d, { all: [rs(4), partly], newRs: partly }), 1);
});

Deno.test("calculateDeploymentStatus() sums the ReplicaSets and sets Available", () => {
  const d = deployment(3);
  const rs = (replicas: number, available: number): ReplicaSet => ({
    spec: { replicas, selector: {}, template: {} },
    status: { replicas, readyReplicas: available, availableReplicas: available },
  });
  const newRs = rs(2, 1);
  const status = calculateDeploymentStatus(d, { all: [rs(2, 2), newRs], newRs, nowMs: START_MS });
  assert.equal(status.replicas, 4);
  assert.equal(status.updatedReplicas, 2);
  assert.equal(status.availableReplicas, 3);
  assert.equal(status.unavailableReplicas, 1);
  assert.deepEqual(status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [
    ["Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."],
  ]);
  const down = calculateDeploymentStatus(d, { all: [rs(3, 1)], newRs: undefined, nowMs: START_MS });
  assert.equal(down.conditions?.[0]?.reason, "MinimumReplicasUnavailable");
});

class RecordingRecorder implements EventRecorder {
  readonly events: EventRecord[] = [];
  event(_object: KubeObject, record: EventRecord): void {
    this.events.push(record);
  }
}

async function harness() {
  const api = await startControllerApi();
  const clock = new FakeClock(START_MS);
  const dInformer = new FakeInformer<Deployment>();
  const rsInformer = new FakeInformer<ReplicaSet>();
  const podInformer = new FakeInformer<Pod>();
  const recorder = new RecordingRecorder();
  const controller = new DeploymentController({
    client: api.client,
    deploymentInformer: dInformer,
    rsInformer,
    podInformer,
    recorder,
    clock,
    logger: new RecordingLogger(),
  });
  const deployments = api.client.resource(DEPLOYMENTS);
  const sets = api.client.resource(REPLICA_SETS);
  /** Copies the API's Deployments and ReplicaSets into the caches. */
  async function refresh(): Promise<void> {
    for (const d of (await deployments.list({ namespace: "default" })).items) dInformer.seed(d);
    for (const rs of (await sets.list({ namespace: "default" })).items) rsInformer.seed(rs);
  }
  async function sync(): Promise<void> {
    await refresh();
    await controller.sync("default/web");
    await refresh();
  }
  async function replicaSets(): Promise<ReplicaSet[]> {
    const items = (await sets.list({ namespace: "default" })).items;
    return items.sort((a, b) => revisionOfRs(a) - revisionOfRs(b));
  }
  /** Plays the ReplicaSet controller: every pod exists and `available` of them are available. */
  async function settle(name: string, available?: number): Promise<void> {
    const rs = await sets.get(name, { namespace: "default" });
    const n = rs.spec?.replicas ?? 1;
    const a = available ?? n;
    await sets.updateStatus({
      ...rs,
      status: {
        replicas: n,
        readyReplicas: a,
        availableReplicas: a,
        observedGeneration: rs.metadata?.generation ?? 1,
      },
    });
  }
  return {
    api,
    clock,
    recorder,
    deployments,
    sets,
    sync,
    replicaSets,
    settle,
    async get(): Promise<Deployment> {
      return await deployments.get("web", { namespace: "default" });
    },
    async [Symbol.asyncDispose]() {
      await api[Symbol.asyncDispose]();
    },
  };
}

function revisionOfRs(rs: ReplicaSet): number {
  return Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);
}

Deno.test("DeploymentController.sync() creates the hashed ReplicaSet, scales it and reports status", async () => {
  await using h = await harness();
  const created = await h.deployments.create(deployment(3));
  await h.sync();
  const [rs, ...rest] = await h.replicaSets();
  assert.equal(rest.length, 0);
  const hash = computePodTemplateHash(created.spec!.template);
  assert.equal(rs!.metadata?.name, `web-${hash}`);
  assert.equal(rs!.spec?.replicas, 3);
  assert.deepEqual(rs!.spec?.selector.matchLabels, { app: "web", [POD_TEMPLATE_HASH_LABEL]: hash });
  assert.equal(rs!.spec?.template?.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL], hash);
  assert.equal(rs!.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL], hash);
  assert.deepEqual(
    [
      REVISION_ANNOTATION,
      "deployment.kubernetes.io/desired-replicas",
      "deployment.kubernetes.io/max-replicas",
    ]
      .map((k) => rs!.metadata?.annotations?.[k]),
    ["1", "3", "4"],
  );
  const ref = rs!.metadata?.ownerReferences?.[0];
  assert.equal(ref?.uid, created.metadata?.uid);
  assert.equal(ref?.controller, true);
  assert.deepEqual(h.recorder.events.map((e) => e.message), [
    `Scaled up replica set web-${hash} from 0 to 3`,
  ]);
  let d = await h.get();
  assert.equal(d.status?.observedGeneration, d.metadata?.generation);
  assert.equal(d.status?.unavailableReplicas, 3);
  const progressing = d.status?.conditions?.find((c) => c.type === "Progressing");
  assert.equal(progressing?.reason, "NewReplicaSetCreated");
  assert.equal(progressing?.message, `Created new replica set "web-${hash}"`);
  // Pods come up: the rollout completes.
  await h.settle(`web-${hash}`);
  await h.sync();
  d = await h.get();
  assert.equal(d.status?.replicas, 3);
  assert.equal(d.status?.updatedReplicas, 3);
  assert.equal(d.status?.readyReplicas, 3);
  assert.equal(d.status?.availableReplicas, 3);
  assert.equal(d.status?.unavailableReplicas, 0);
  assert.deepEqual(
    d.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ["Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."],
      [
        "Progressing",
        "True",
        "NewReplicaSetAvailable",
        `ReplicaSet "web-${hash}" has successfully progressed.`,
      ],
    ],
  );
  // Nothing changed: no write.
  const rv = d.metadata?.resourceVersion;
  await h.sync();
  assert.equal((await h.get()).metadata?.resourceVersion, rv);
});

Deno.test("DeploymentController.sync() rolls a new template out within maxSurge and maxUnavailable", async () => {
  await using h = await harness();
  await h.deployments.create(deployment(4));
  await h.sync();
  const [first] = await h.replicaSets();
  await h.settle(first!.metadata!.name!);
  await h.sync();
  await h.deployments.patch("web", {
    namespace: "default",
    type: "merge",
    body: { spec: { template: { spec: { containers: [{ name: "main", image: "nginx:2" }] } } } },
  });
  for (let step = 0; step < 20; step++) {
    await h.sync();
    const sets = await h.replicaSets();
    const total = sets.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
    const available = sets.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    assert.ok(total <= 5, `at most replicas + maxSurge pods, got ${total}`);
    assert.ok(available >= 3, `at least replicas - maxUnavailable available, got ${available}`);
    for (const rs of sets) await h.settle(rs.metadata!.name!);
    const d = await h.get();
    if (
      d.status?.conditions?.some((c) => c.reason === "NewReplicaSetAvailable") &&
      sets.length === 2 && sets[0]!.spec?.replicas === 0
    ) break;
  }
  const [old, next] = await h.replicaSets();
  assert.equal(old!.spec?.replicas, 0);
  assert.equal(next!.spec?.replicas, 4);
  assert.equal(next!.metadata?.annotations?.[REVISION_ANNOTATION], "2");
  const d = await h.get();
  assert.equal(d.status?.updatedReplicas, 4);
  assert.equal(d.status?.replicas, 4);
  const messages = h.recorder.events.map((e) => e.message ?? "");
  assert.ok(
    messages.includes(`Scaled up replica set ${next!.metadata?.name} from 0 to 1`),
    messages.join("\n"),
  );
  assert.ok(
    messages.some((m) => m.startsWith(`Scaled down replica set ${old!.metadata?.name} from 4 to`)),
  );
});

Deno.test("DeploymentController.sync() with Recreate scales old ReplicaSets to 0 before creating the new one", async () => {
  await using h = await harness();
  const d = deployment(2);
  d.spec!.strategy = { type: "Recreate" };
  await h.deployments.create(d);
  await h.sync();
  const [first] = await h.replicaSets();
  await h.settle(first!.metadata!.name!);
  await h.deployments.patch("web", {
    namespace: "default",
    type: "merge",
    body: { spec: { template: { spec: { containers: [{ name: "main", image: "nginx:2" }] } } } },
  });
  await h.sync();
  let sets = await h.replicaSets();
  assert.equal(sets.length, 1);
  assert.equal(sets[0]!.spec?.replicas, 0);
  // Old pods still running: no new ReplicaSet yet.
  await h.sync();
  assert.equal((await h.replicaSets()).length, 1);
  await h.settle(first!.metadata!.name!);
  await h.sync();
  sets = await h.replicaSets();
  assert.equal(sets.length, 2);
  assert.equal(sets[1]!.spec?.replicas, 2);
  assert.equal(sets[1]!.metadata?.annotations?.[REVISION_ANNOTATION], "2");
});

Deno.test("DeploymentController.sync() adopts a matching orphan ReplicaSet", async () => {
  await using h = await harness();
  const d = await h.deployments.create(deployment(1));
  const hash = computePodTemplateHash(d.spec!.template);
  const t = template("nginx:1");
  t.metadata!.labels![POD_TEMPLATE_HASH_LABEL] = hash;
  await h.sets.create({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { namespace: "default", name: `web-${hash}`, labels: { ...t.metadata!.labels } },
    spec: { replicas: 1, selector: { matchLabels: { ...t.metadata!.labels } }, template: t },
  });
  await h.sync();
  const sets = await h.replicaSets();
  assert.equal(sets.length, 1);
  assert.equal(sets[0]!.metadata?.ownerReferences?.[0]?.uid, d.metadata?.uid);
  assert.equal(sets[0]!.metadata?.annotations?.[REVISION_ANNOTATION], "1");
  const progressing = (await h.get()).status?.conditions?.find((c) => c.type === "Progressing");
  assert.equal(progressing?.reason, "FoundNewReplicaSet");
});

Deno.test("DeploymentController.sync() releases an owned ReplicaSet its selector no longer matches", async () => {
  await using h = await harness();
  await h.deployments.create(deployment(1));
  await h.sync();
  const [rs] = await h.replicaSets();
  assert.ok(rs);
  // Relabelled out of the Deployment's selector, as an admin pulling a ReplicaSet out would.
  await h.sets.patch(rs.metadata!.name!, {
    namespace: "default",
    type: "merge",
    body: { metadata: { labels: { app: "debug" } } },
  });
  await h.settle(rs.metadata!.name!);
  // The released ReplicaSet keeps its name, so the new one's collides, as upstream: the sync
  // bumps collisionCount and fails, and the next one creates it under another hash.
  await assert.rejects(h.sync(), /the name is taken \(hash collision\)/);
  await h.sync();
  const sets = await h.replicaSets();
  const released = sets.find((x) => x.metadata?.uid === rs.metadata?.uid);
  assert.deepEqual(released?.metadata?.ownerReferences ?? [], []);
  const fresh = sets.find((x) => x.metadata?.uid !== rs.metadata?.uid);
  assert.equal(getControllerOfForTest(fresh)?.name, "web");
  assert.equal((await h.get()).status?.collisionCount, 1);
});

function getControllerOfForTest(obj: KubeObject | undefined) {
  return obj?.metadata?.ownerReferences?.find((r) => r.controller);
}

async function rollTo(h: Awaited<ReturnType<typeof harness>>, image: string): Promise<void> {
  await h.deployments.patch("web", {
    namespace: "default",
    type: "merge",
    body: { spec: { template: { spec: { containers: [{ name: "main", image }] } } } },
  });
  for (let step = 0; step < 20; step++) {
    await h.sync();
    for (const rs of await h.replicaSets()) await h.settle(rs.metadata!.name!);
    const d = await h.get();
    const done = d.status?.conditions?.some((c) => c.reason === "NewReplicaSetAvailable") &&
      (d.status?.replicas ?? 0) === d.spec?.replicas &&
      (d.status?.updatedReplicas ?? 0) === d.spec?.replicas;
    if (done) break;
  }
}

Deno.test("DeploymentController.sync() scales a rolled-out Deployment when spec.replicas changes", async () => {
  await using h = await harness();
  await h.deployments.create(deployment(4));
  await h.sync();
  const [rs] = await h.replicaSets();
  await h.settle(rs!.metadata!.name!);
  await h.sync();
  await h.deployments.patch("web", {
    namespace: "default",
    type: "merge",
    body: { spec: { replicas: 2 } },
  });
  await h.sync();
  const [after] = await h.replicaSets();
  assert.equal(after!.spec?.replicas, 2);
  assert.equal(after!.metadata?.annotations?.["deployment.kubernetes.io/desired-replicas"], "2");
  assert.equal(
    h.recorder.events.at(-1)?.message,
    `Scaled down replica set ${rs!.metadata?.name} from 4 to 2`,
  );
});

Deno.test("DeploymentController.sync() does not roll a paused Deployment out but still scales it", async () => {
  await using h = await harness();
  await h.deployments.create(deployment(2));
  await h.sync();
  const [rs] = await h.replicaSets();
  await h.settle(rs!.metadata!.name!);
  await h.sync();
  await h.deployments.patch("web", {
    namespace: "default",
    type: "merge",
    body: {
      spec: {
        paused: true,
        replicas: 3,
        template: { spec: { containers: [{ name: "main", image: "nginx:2" }] } },
      },
    },
  });
  await h.sync();
  const sets = await h.replicaSets();
  assert.equal(sets.length, 1);
  assert.equal(sets[0]!.spec?.replicas, 3);
  const progressing = (await h.get()).status?.conditions?.find((c) => c.type === "Progressing");
  assert.deepEqual([progressing?.status, progressing?.reason, progressing?.message], [
    "Unknown",
    "DeploymentPaused",
    "Deployment is paused",
  ]);
  // Resumed: the new template rolls out.
  await h.deployments.patch("web", {
    namespace: "default",
    type: "merge",
    body: { spec: { paused: false } },
  });
  await h.sync();
  assert.equal((await h.replicaSets()).length, 2);
});

Deno.test("DeploymentController.sync() keeps revisionHistoryLimit old ReplicaSets", async () => {
  await using h = await harness();
  const d = deployment(1);
  d.spec!.revisionHistoryLimit = 1;
  await h.deployments.create(d);
  await h.sync();
  await h.settle((await h.replicaSets())[0]!.metadata!.name!);
  await rollTo(h, "nginx:2");
  await rollTo(h, "nginx:3");
  await h.sync();
  const sets = await h.replicaSets();
  assert.deepEqual(
    sets.map((rs) => [rs.metadata?.annotations?.[REVISION_ANNOTATION], rs.spec?.replicas]),
    [["2", 0], ["3", 1]],
  );
});

Deno.test("DeploymentController.sync() spreads a scaling mid-rollout over the ReplicaSets by size", async () => {
  await using h = await harness();
  const d = deployment(10);
  d.spec!.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } };
  await h.deployments.create(d);
  await h.sync();
  await h.settle((await h.replicaSets())[0]!.metadata!.name!);
  await h.sync();
  await h.deployments.patch("web", {
    namespace: "default",
    type: "merge",
    body: { spec: { template: { spec: { containers: [{ name: "main", image: "nginx:2" }] } } } },
  });
  await h.sync();
  let [old, next] = await h.replicaSets();
  assert.deepEqual([old!.spec?.replicas, next!.spec?.replicas], [8, 3]);
  await h.settle(old!.metadata!.name!);
  await h.settle(next!.metadata!.name!, 0);
  await h.deployments.patch("web", {
    namespace: "default",
    type: "merge",
    body: { spec: { replicas: 20 } },
  });
  await h.sync();
  [old, next] = await h.replicaSets();
  // 23 allowed (20 + 3 surge), 12 to add: 8 → 8·23/13 ≈ 14 plus the 4 left over, 3 → 3·23/13 ≈ 5.
  assert.deepEqual([old!.spec?.replicas, next!.spec?.replicas], [18, 5]);
  assert.deepEqual(
    [old, next].map((rs) => rs!.metadata?.annotations?.["deployment.kubernetes.io/max-replicas"]),
    ["23", "23"],
  );
});

Deno.test("DeploymentController.sync() reports ProgressDeadlineExceeded after progressDeadlineSeconds without progress", async () => {
  await using h = await harness();
  const d = deployment(2);
  d.spec!.progressDeadlineSeconds = 60;
  await h.deployments.create(d);
  await h.sync();
  const [rs] = await h.replicaSets();
  const progressing = async () =>
    (await h.get()).status?.conditions?.find((c) => c.type === "Progressing");
  assert.equal((await progressing())?.reason, "NewReplicaSetCreated");
  h.clock.advance(30_000);
  await h.sync();
  assert.equal((await progressing())?.reason, "NewReplicaSetCreated");
  h.clock.advance(31_000);
  await h.sync();
  const c = await progressing();
  assert.deepEqual([c?.status, c?.reason, c?.message], [
    "False",
    "ProgressDeadlineExceeded",
    `ReplicaSet "${rs!.metadata?.name}" has timed out progressing.`,
  ]);
  // Pods come up: progressing again, then complete.
  await h.settle(rs!.metadata!.name!);
  await h.sync();
  const done = await progressing();
  assert.deepEqual([done?.status, done?.reason], ["True", "NewReplicaSetAvailable"]);
});

Deno.test("setReplicaFailure() mirrors the new ReplicaSet's ReplicaFailure first and clears it when gone", () => {
  const rs = (uid: string, reason?: string): ReplicaSet => ({
    metadata: { name: `web-${uid}`, uid },
    ...(reason
      ? {
        status: {
          replicas: 0,
          conditions: [{
            type: "ReplicaFailure",
            status: "True",
            reason,
            message: `pods "web" is forbidden: ${reason}`,
            lastTransitionTime: "2025-01-01T12:00:00Z",
          }],
        },
      }
      : {}),
  });
  const status: DeploymentStatus = { conditions: [{ type: "Available", status: "True" }] };
  setReplicaFailure(status, {
    all: [rs("old", "Old"), rs("new", "FailedCreate")],
    newRs: rs("new", "FailedCreate"),
  });
  assert.deepEqual(status.conditions?.find((c) => c.type === "ReplicaFailure"), {
    type: "ReplicaFailure",
    status: "True",
    reason: "FailedCreate",
    message: 'pods "web" is forbidden: FailedCreate',
    lastUpdateTime: "2025-01-01T12:00:00Z",
    lastTransitionTime: "2025-01-01T12:00:00Z",
  });
  setReplicaFailure(status, { all: [rs("old", "Old"), rs("new")], newRs: rs("new") });
  assert.equal(status.conditions?.find((c) => c.type === "ReplicaFailure")?.reason, "Old");
  setReplicaFailure(status, { all: [rs("old"), rs("new")], newRs: rs("new") });
  assert.deepEqual(status.conditions?.map((c) => c.type), ["Available"]);
});
