import assert from "node:assert/strict";
import type { Deployment, ReplicaSet, StatefulSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject, OwnerReference } from "../api/types/meta_v1.ts";
import type { PodDisruptionBudget, PodDisruptionBudgetSpec } from "../api/types/policy_v1.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import { POD_DISRUPTION_BUDGETS, PODS, REPLICA_SETS } from "../client/resources.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { startControllerApi } from "../../tests/_support/controller_api.ts";
import { FakeInformer } from "./_fake_informer.ts";
import { DELETION_TIMEOUT_MS } from "./_pdb_status.ts";
import { rfc3339 } from "./_rfc3339.ts";
import {
  DISRUPTION_CONTROLLER_NAME,
  DisruptionController,
  STALE_POD_DISRUPTION_TIMEOUT_MS,
} from "./disruption.ts";

const START_MS = Date.UTC(2025, 0, 1, 12, 0, 0);

interface RecordedEvent extends EventRecord {
  readonly object: string;
}

class RecordingRecorder implements EventRecorder {
  readonly events: RecordedEvent[] = [];
  event(object: KubeObject, record: EventRecord): void {
    this.events.push({ ...record, object: `${object.kind ?? ""}/${object.metadata?.name ?? ""}` });
  }
  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}

function owner(kind: string, name: string, apiVersion = "apps/v1"): OwnerReference {
  return { apiVersion, kind, name, uid: `uid-${kind}-${name}`, controller: true };
}

interface PodOptions {
  readonly ready?: boolean;
  readonly owner?: OwnerReference;
  readonly labels?: Record<string, string>;
}

async function harness() {
  const api = await startControllerApi();
  const clock = new FakeClock(START_MS);
  const pdbInformer = new FakeInformer<PodDisruptionBudget>();
  const podInformer = new FakeInformer<Pod>();
  const rsInformer = new FakeInformer<ReplicaSet>();
  const deploymentInformer = new FakeInformer<Deployment>();
  const statefulSetInformer = new FakeInformer<StatefulSet>();
  const recorder = new RecordingRecorder();
  const controller = new DisruptionController({
    client: api.client,
    pdbInformer,
    podInformer,
    rsInformer,
    deploymentInformer,
    statefulSetInformer,
    recorder,
    clock,
    logger: new RecordingLogger(),
  });
  const pdbs = api.client.resource(POD_DISRUPTION_BUDGETS);
  const pods = api.client.resource(PODS);
  return {
    api,
    clock,
    recorder,
    controller,
    pdbInformer,
    podInformer,
    rsInformer,
    deploymentInformer,
    statefulSetInformer,
    pdbs,
    pods,
    /** Creates a budget `web` in the API and the cache. */
    async budget(spec: PodDisruptionBudgetSpec): Promise<PodDisruptionBudget> {
      const made = await pdbs.create({
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { namespace: "default", name: "web" },
        spec: { selector: { matchLabels: { app: "web" } }, ...spec },
      });
      pdbInformer.add(made);
      return made;
    },
    /** A pod in the cache only (enough for counting). */
    pod(name: string, options: PodOptions = {}): Pod {
      const pod: Pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          namespace: "default",
          name,
          uid: `uid-${name}`,
          resourceVersion: "1",
          labels: options.labels ?? { app: "web" },
          ...(options.owner ? { ownerReferences: [options.owner] } : {}),
        },
        spec: { containers: [{ name: "main", image: "busybox" }] },
        status: {
          phase: "Running",
          conditions: [{ type: "Ready", status: options.ready === false ? "False" : "True" }],
        },
      };
      podInformer.add(pod);
      return pod;
    },
    /** Syncs `default/web` and answers the budget as the API has it (cached again). */
    async sync(): Promise<PodDisruptionBudget> {
      await controller.sync("default/web");
      const now = await pdbs.get("web", { namespace: "default" });
      pdbInformer.seed(now);
      return now;
    },
    async [Symbol.asyncDispose]() {
      await api[Symbol.asyncDispose]();
    },
  };
}

function summary(pdb: PodDisruptionBudget) {
  const s = pdb.status;
  const cond = s?.conditions?.find((c) => c.type === "DisruptionAllowed");
  return {
    expectedPods: s?.expectedPods,
    desiredHealthy: s?.desiredHealthy,
    currentHealthy: s?.currentHealthy,
    disruptionsAllowed: s?.disruptionsAllowed,
    condition: [cond?.status, cond?.reason, cond?.message],
  };
}

Deno.test("DISRUPTION_CONTROLLER_NAME is upstream's --controllers name", () => {
  assert.equal(DISRUPTION_CONTROLLER_NAME, "disruption");
});

Deno.test("DisruptionController.sync() counts pods for an integer minAvailable", async () => {
  await using h = await harness();
  const made = await h.budget({ minAvailable: 2 });
  h.pod("web-0");
  h.pod("web-1");
  h.pod("web-2");
  h.pod("other", { labels: { app: "db" } });
  let pdb = await h.sync();
  assert.deepEqual(summary(pdb), {
    expectedPods: 3,
    desiredHealthy: 2,
    currentHealthy: 3,
    disruptionsAllowed: 1,
    condition: ["True", "SufficientPods", ""],
  });
  assert.equal(pdb.status?.observedGeneration, made.metadata?.generation);
  const since = pdb.status?.conditions?.[0]?.lastTransitionTime;
  assert.equal(since, rfc3339(START_MS));
  // Nothing changed: no write.
  const rv = pdb.metadata?.resourceVersion;
  assert.equal((await h.sync()).metadata?.resourceVersion, rv);
  // A pod turns not ready: no disruption left.
  h.clock.advance(5000);
  h.pod("web-1", { ready: false });
  pdb = await h.sync();
  assert.deepEqual(summary(pdb), {
    expectedPods: 3,
    desiredHealthy: 2,
    currentHealthy: 2,
    disruptionsAllowed: 0,
    condition: ["False", "InsufficientPods", ""],
  });
  assert.equal(pdb.status?.conditions?.[0]?.lastTransitionTime, rfc3339(START_MS + 5000));
});

Deno.test("DisruptionController.sync() uses the controllers' scale for percentages and maxUnavailable", async (t) => {
  const cases: {
    name: string;
    spec: PodDisruptionBudgetSpec;
    ready: number;
    want: [number, number, number, number];
  }[] = [
    {
      name: "minAvailable 50% of 5 rounds up",
      spec: { minAvailable: "50%" },
      ready: 4,
      want: [5, 3, 4, 1],
    },
    { name: "maxUnavailable 1", spec: { maxUnavailable: 1 }, ready: 4, want: [5, 4, 4, 0] },
    {
      name: "maxUnavailable 30% of 5 rounds up",
      spec: { maxUnavailable: "30%" },
      ready: 4,
      want: [5, 3, 4, 1],
    },
    {
      name: "maxUnavailable 100% wants none",
      spec: { maxUnavailable: "100%" },
      ready: 0,
      want: [5, 0, 0, 0],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using h = await harness();
      // A Deployment of 5 through its ReplicaSet.
      h.deploymentInformer.add({
        metadata: { namespace: "default", name: "web", uid: "uid-Deployment-web" },
        spec: { replicas: 5, selector: {}, template: {} },
      });
      h.rsInformer.add({
        metadata: {
          namespace: "default",
          name: "web-abc",
          uid: "uid-ReplicaSet-web-abc",
          ownerReferences: [owner("Deployment", "web")],
        },
        spec: { replicas: 5, selector: {} },
      });
      await h.budget(c.spec);
      for (let i = 0; i < 4; i++) {
        h.pod(`web-${i}`, { owner: owner("ReplicaSet", "web-abc"), ready: i < c.ready });
      }
      const s = summary(await h.sync());
      assert.deepEqual(
        [s.expectedPods, s.desiredHealthy, s.currentHealthy, s.disruptionsAllowed],
        c.want,
      );
    });
  }
  await t.step("ReplicaSets and StatefulSets of their own add up", async () => {
    await using h = await harness();
    h.rsInformer.add({
      metadata: { namespace: "default", name: "alone", uid: "uid-ReplicaSet-alone" },
      spec: { replicas: 2, selector: {} },
    });
    h.statefulSetInformer.add({
      metadata: { namespace: "default", name: "db", uid: "uid-StatefulSet-db" },
      spec: { replicas: 3, selector: {}, template: {} },
    });
    await h.budget({ minAvailable: "100%" });
    h.pod("alone-0", { owner: owner("ReplicaSet", "alone") });
    h.pod("alone-1", { owner: owner("ReplicaSet", "alone") });
    h.pod("db-0", { owner: owner("StatefulSet", "db") });
    const s = summary(await h.sync());
    assert.deepEqual([s.expectedPods, s.desiredHealthy, s.currentHealthy], [5, 5, 3]);
  });
});

Deno.test("DisruptionController.sync() reads other controllers through their scale subresource", async () => {
  await using h = await harness();
  // A ReplicaSet the cache does not have yet: the scale subresource answers for it.
  const rs = await h.api.client.resource(REPLICA_SETS).create({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { namespace: "default", name: "web" },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "main", image: "busybox" }] },
      },
    },
  });
  await h.budget({ maxUnavailable: "50%" });
  h.pod("web-0", {
    owner: { ...owner("ReplicaSet", "web"), uid: rs.metadata?.uid ?? "" },
  });
  const s = summary(await h.sync());
  assert.deepEqual([s.expectedPods, s.desiredHealthy, s.currentHealthy], [4, 2, 1]);
});

Deno.test("DisruptionController.sync() fails safe when the expected count cannot be computed", async (t) => {
  const cases = [
    {
      name: "an unknown kind",
      owner: owner("Widget", "w", "example.com/v1"),
      message: 'no matches for kind "Widget" in version "example.com/v1"',
    },
    {
      name: "a controller that does not exist",
      owner: owner("ReplicaSet", "missing"),
      message: 'found no controllers for pod "web-0"',
    },
    {
      name: "a kind without a scale subresource",
      owner: owner("ConfigMap", "cm", "v1"),
      message: "configmaps does not implement the scale subresource",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using h = await harness();
      await h.budget({ minAvailable: "50%" });
      h.pod("web-0", { owner: c.owner });
      const pdb = await h.sync();
      assert.equal(pdb.status?.disruptionsAllowed, 0);
      const cond = pdb.status?.conditions?.find((x) => x.type === "DisruptionAllowed");
      assert.deepEqual([cond?.status, cond?.reason, cond?.message], [
        "False",
        "SyncFailed",
        c.message,
      ]);
      const event = h.recorder.events.find((e) => e.reason === "CalculateExpectedPodCountFailed");
      assert.equal(event?.type, "Warning");
      assert.equal(event?.message, `Failed to calculate the number of expected pods: ${c.message}`);
      assert.equal(event?.object, "PodDisruptionBudget/web");
    });
  }
});

Deno.test("DisruptionController.sync() reports unmanaged pods and budgets without pods", async (t) => {
  await t.step("unmanaged pods are left out of a percentage", async () => {
    await using h = await harness();
    h.statefulSetInformer.add({
      metadata: { namespace: "default", name: "db", uid: "uid-StatefulSet-db" },
      spec: { replicas: 2, selector: {}, template: {} },
    });
    await h.budget({ minAvailable: "50%" });
    h.pod("db-0", { owner: owner("StatefulSet", "db") });
    h.pod("db-1", { owner: owner("StatefulSet", "db") });
    h.pod("stray");
    const s = summary(await h.sync());
    assert.deepEqual([s.expectedPods, s.desiredHealthy, s.currentHealthy, s.disruptionsAllowed], [
      2,
      1,
      3,
      2,
    ]);
    const event = h.recorder.events.find((e) => e.reason === "UnmanagedPods");
    assert.equal(
      event?.message,
      'Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.',
    );
    assert.equal(event?.type, "Warning");
  });
  await t.step("no pods: NoPods, nothing allowed", async () => {
    await using h = await harness();
    await h.budget({ maxUnavailable: 1 });
    const pdb = await h.sync();
    assert.deepEqual(summary(pdb), {
      expectedPods: 0,
      desiredHealthy: 0,
      currentHealthy: 0,
      disruptionsAllowed: 0,
      condition: ["False", "InsufficientPods", ""],
    });
    assert.deepEqual(h.recorder.events.map((e) => [e.type, e.reason, e.message]), [
      ["Normal", "NoPods", "No matching pods found"],
    ]);
  });
});

Deno.test("DisruptionController.sync() cleans up disruptedPods and rechecks when an entry times out", async () => {
  await using h = await harness();
  const made = await h.budget({ minAvailable: 1 });
  for (const name of ["web-0", "web-1", "web-2", "web-3"]) h.pod(name);
  const leaving = h.pod("web-4");
  h.podInformer.add({
    ...leaving,
    metadata: { ...leaving.metadata, deletionTimestamp: rfc3339(START_MS) },
  });
  const recent = rfc3339(START_MS - 30_000);
  const withEvictions = await h.pdbs.updateStatus({
    ...made,
    status: {
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
      disruptionsAllowed: 0,
      disruptedPods: {
        "web-0": recent,
        "web-1": rfc3339(START_MS - DELETION_TIMEOUT_MS - 1000),
        "web-4": recent,
        "gone": recent,
      },
    },
  });
  h.pdbInformer.seed(withEvictions);
  let pdb = await h.sync();
  assert.deepEqual(pdb.status?.disruptedPods, { "web-0": recent });
  // web-0 was evicted a moment ago and web-4 is being deleted: 3 of 5 count.
  assert.equal(pdb.status?.currentHealthy, 3);
  assert.equal(pdb.status?.expectedPods, 5);
  assert.equal(pdb.status?.disruptionsAllowed, 2);
  const notDeleted = h.recorder.events.find((e) => e.reason === "NotDeleted");
  assert.equal(notDeleted?.object, "Pod/web-1");
  assert.equal(
    notDeleted?.message,
    "Pod was expected by PDB default/default to be deleted but it wasn't",
  );
  // The budget comes back when web-0's entry times out.
  while (h.controller.queue.len() > 0) {
    const key = await h.controller.queue.get();
    h.controller.queue.done(key!);
  }
  h.clock.advance(DELETION_TIMEOUT_MS - 30_000 - 1);
  assert.equal(h.controller.queue.len(), 0);
  h.clock.advance(1);
  assert.equal(h.controller.queue.len(), 1);
  h.clock.advance(1);
  pdb = await h.sync();
  assert.equal(pdb.status?.disruptedPods, undefined);
  assert.equal(pdb.status?.currentHealthy, 4);
});

Deno.test("DisruptionController handlers enqueue the budgets a pod matches", async () => {
  await using h = await harness();
  await h.budget({ minAvailable: 1 });
  const other = await h.pdbs.create({
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { namespace: "default", name: "all" },
    spec: { selector: {}, minAvailable: 1 },
  });
  h.pdbInformer.add(other);
  const none = await h.pdbs.create({
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { namespace: "default", name: "db" },
    spec: { selector: { matchLabels: { app: "db" } }, minAvailable: 1 },
  });
  h.pdbInformer.add(none);
  while (h.controller.queue.len() > 0) {
    const key = await h.controller.queue.get();
    h.controller.queue.done(key!);
  }
  h.pod("web-0");
  const keys: string[] = [];
  while (h.controller.queue.len() > 0) {
    const key = (await h.controller.queue.get())!;
    keys.push(key);
    h.controller.queue.done(key);
  }
  assert.deepEqual(keys.sort(), ["default/all", "default/web"]);
  const multiple = h.recorder.events.find((e) => e.reason === "MultiplePodDisruptionBudgets");
  assert.equal(multiple?.type, "Warning");
  assert.match(
    multiple?.message ?? "",
    /^Pod "default"\/"web-0" matches multiple PodDisruptionBudgets\. {2}Chose "(web|all)" arbitrarily\.$/,
  );
  // Leaving a budget's selector requeues that budget.
  h.podInformer.update({
    ...h.podInformer.store.get("default/web-0")!,
    metadata: {
      ...h.podInformer.store.get("default/web-0")!.metadata,
      resourceVersion: "2",
      labels: { app: "db" },
    },
  });
  const after: string[] = [];
  while (h.controller.queue.len() > 0) {
    const key = (await h.controller.queue.get())!;
    after.push(key);
    h.controller.queue.done(key);
  }
  assert.deepEqual(after.sort(), ["default/all", "default/db", "default/web"]);
});

Deno.test("DisruptionController resets a stale DisruptionTarget condition after two minutes", async () => {
  await using h = await harness();
  const created = await h.pods.create({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: "default", name: "web-0" },
    spec: { containers: [{ name: "main", image: "busybox" }] },
  });
  const marked = await h.pods.updateStatus({
    ...created,
    status: {
      ...created.status,
      phase: "Running",
      conditions: [{
        type: "DisruptionTarget",
        status: "True",
        reason: "EvictionByEvictionAPI",
        message: "Eviction API: evicting",
        lastTransitionTime: rfc3339(START_MS - 30_000),
      }],
    },
  });
  h.podInformer.add(marked);
  // Not stale yet: the pod comes due 90 s from now.
  assert.equal(h.controller.staleQueue.len(), 0);
  h.clock.advance(STALE_POD_DISRUPTION_TIMEOUT_MS - 30_000);
  assert.equal(h.controller.staleQueue.len(), 1);
  await h.controller.syncStalePodDisruption("default/web-0");
  const reset = await h.pods.get("web-0", { namespace: "default" });
  const cond = reset.status?.conditions?.find((c) => c.type === "DisruptionTarget");
  assert.deepEqual([cond?.status, cond?.reason ?? "", cond?.message ?? ""], ["False", "", ""]);
  assert.equal(cond?.lastTransitionTime, rfc3339(h.clock.now()));
});

Deno.test("DisruptionController leaves kubelet, terminal and deleting pods' DisruptionTarget alone", async (t) => {
  const cases: { name: string; pod: Partial<Pod> }[] = [
    {
      name: "set by the kubelet",
      pod: {
        status: {
          phase: "Running",
          conditions: [{
            type: "DisruptionTarget",
            status: "True",
            reason: "TerminationByKubelet",
          }],
        },
      },
    },
    {
      name: "terminal",
      pod: {
        status: {
          phase: "Failed",
          conditions: [{ type: "DisruptionTarget", status: "True", reason: "DeletionByPodGC" }],
        },
      },
    },
    {
      name: "being deleted",
      pod: {
        metadata: { name: "web-0", namespace: "default", deletionTimestamp: rfc3339(START_MS) },
        status: {
          phase: "Running",
          conditions: [{
            type: "DisruptionTarget",
            status: "True",
            reason: "PreemptionByScheduler",
          }],
        },
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using h = await harness();
      h.podInformer.add({ metadata: { name: "web-0", namespace: "default" }, ...c.pod });
      h.clock.advance(STALE_POD_DISRUPTION_TIMEOUT_MS * 2);
      assert.equal(h.controller.staleQueue.len(), 0);
      // A sync of such a pod writes nothing (the pod is not in the API: a write would fail).
      await h.controller.syncStalePodDisruption("default/web-0");
    });
  }
});
