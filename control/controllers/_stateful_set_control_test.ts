import assert from "node:assert/strict";
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import { StatusError } from "../client/errors.ts";
import { type CompiledLabelSelector, compileLabelSelector } from "../client/label_selector.ts";
import { RecordingLogger } from "../util/logger.ts";
import type { StatefulPodControl } from "./_stateful_pod_control.ts";
import {
  type RevisionHistory,
  StatefulSetControl,
  type StatefulSetStatusUpdater,
} from "./_stateful_set_control.ts";
import { ordinalOf, persistentVolumeClaimName } from "./_stateful_set_utils.ts";
import {
  controllerRevisionName,
  type CreateRevisionRequest,
  type CreateRevisionResult,
  hashControllerRevision,
  templateRevisionData,
} from "./controller_history.ts";
import { getControllerOf } from "./controller_ref_manager.ts";

const NOW = Date.UTC(2025, 0, 1, 12);

/** Pods as the API would hold them; the fake pod control writes here. */
class FakeCluster implements StatefulPodControl {
  readonly pods = new Map<string, Pod>();
  readonly log: string[] = [];
  /** Claims that exist (names). */
  readonly claims = new Set<string>();
  staleClaims = new Set<string>();
  claimsMatch = true;
  createError: Error | null = null;
  /** Deletions only mark the pod terminating. */
  graceful = false;
  #uid = 0;

  list(): Pod[] {
    return [...this.pods.values()].sort((a, b) => ordinalOf(a) - ordinalOf(b));
  }

  /** What a kubelet does: Running and Ready (since a minute ago). */
  ready(name: string, readyForMs = 60_000): void {
    const pod = this.pods.get(name)!;
    pod.status = {
      phase: "Running",
      conditions: [{
        type: "Ready",
        status: "True",
        lastTransitionTime: new Date(NOW - readyForMs).toISOString(),
      }],
    };
  }

  readyAll(): void {
    for (const name of this.pods.keys()) this.ready(name);
  }

  notReady(name: string): void {
    this.pods.get(name)!.status = {
      phase: "Running",
      conditions: [{ type: "Ready", status: "False" }],
    };
  }

  createStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    const name = pod.metadata!.name!;
    if (this.createError) return Promise.reject(this.createError);
    if (this.pods.has(name)) {
      return Promise.reject(
        new StatusError({ kind: "Status", code: 409, reason: "AlreadyExists", message: "exists" }),
      );
    }
    for (const t of set.spec?.volumeClaimTemplates ?? []) {
      this.claims.add(
        persistentVolumeClaimName(set, { template: t.metadata!.name!, ordinal: ordinalOf(pod) }),
      );
    }
    const created = structuredClone(pod);
    created.metadata!.uid = `uid-${++this.#uid}`;
    created.status = { phase: "Pending" };
    this.pods.set(name, created);
    this.log.push(`create ${name}`);
    return Promise.resolve();
  }

  updateStatefulPod(_set: StatefulSet, pod: Pod): Promise<void> {
    this.log.push(`update ${pod.metadata?.name}`);
    return Promise.resolve();
  }

  deleteStatefulPod(_set: StatefulSet, pod: Pod): Promise<void> {
    const name = pod.metadata!.name!;
    this.log.push(`delete ${name}`);
    if (this.graceful) {
      this.pods.get(name)!.metadata!.deletionTimestamp = "2025-01-01T12:00:00Z";
    } else this.pods.delete(name);
    return Promise.resolve();
  }

  claimsMatchRetentionPolicy(): boolean {
    return this.claimsMatch;
  }

  updatePodClaimForRetentionPolicy(_set: StatefulSet, pod: Pod): Promise<void> {
    this.log.push(`claims ${pod.metadata?.name}`);
    return Promise.resolve();
  }

  podClaimIsStale(_set: StatefulSet, pod: Pod): boolean {
    return this.staleClaims.has(pod.metadata!.name!);
  }

  createMissingPersistentVolumeClaims(set: StatefulSet, pod: Pod): Promise<void> {
    if (set.spec?.volumeClaimTemplates?.length) {
      this.log.push(`missing claims ${pod.metadata?.name}`);
    }
    return Promise.resolve();
  }

  /** The log since the last call. */
  take(): string[] {
    return this.log.splice(0);
  }
}

/** Revisions in memory, named and collided as the real history does. */
class FakeHistory implements RevisionHistory {
  readonly revisions = new Map<string, ControllerRevision>();
  #clock = 0;

  listControllerRevisions(
    parent: KubeObject,
    selector: CompiledLabelSelector,
  ): ControllerRevision[] {
    return [...this.revisions.values()].filter((r) =>
      selector.matches(r.metadata?.labels) &&
      (getControllerOf(r) === undefined || getControllerOf(r)?.uid === parent.metadata?.uid)
    );
  }

  createControllerRevision(
    parent: KubeObject,
    request: CreateRevisionRequest,
  ): Promise<CreateRevisionResult> {
    let collisionCount = request.collisionCount;
    for (;;) {
      const name = controllerRevisionName(
        parent.metadata!.name!,
        hashControllerRevision(request.revision, collisionCount),
      );
      const existing = this.revisions.get(name);
      if (existing === undefined) {
        const revision = structuredClone(request.revision);
        revision.metadata!.name = name;
        revision.metadata!.creationTimestamp = new Date(NOW + ++this.#clock * 1000).toISOString();
        this.revisions.set(name, revision);
        return Promise.resolve({ revision, collisionCount });
      }
      if (JSON.stringify(existing.data) === JSON.stringify(request.revision.data)) {
        return Promise.resolve({ revision: existing, collisionCount });
      }
      collisionCount++;
    }
  }

  updateControllerRevision(revision: ControllerRevision, n: number): Promise<ControllerRevision> {
    const updated = { ...structuredClone(revision), revision: n };
    this.revisions.set(revision.metadata!.name!, updated);
    return Promise.resolve(updated);
  }

  deleteControllerRevision(revision: ControllerRevision): Promise<void> {
    this.revisions.delete(revision.metadata!.name!);
    return Promise.resolve();
  }

  adoptControllerRevision(): Promise<ControllerRevision> {
    return Promise.reject(new Error("not used"));
  }

  numbers(): number[] {
    return [...this.revisions.values()].map((r) => r.revision).sort((a, b) => a - b);
  }
}

class FakeStatus implements StatefulSetStatusUpdater {
  readonly writes: StatefulSetStatus[] = [];

  updateStatefulSetStatus(_set: StatefulSet, status: StatefulSetStatus): Promise<void> {
    this.writes.push(structuredClone(status));
    return Promise.resolve();
  }
}

interface SetInit {
  readonly replicas?: number;
  readonly parallel?: boolean;
  readonly image?: string;
  readonly strategy?: NonNullable<StatefulSet["spec"]>["updateStrategy"];
  readonly minReadySeconds?: number;
  readonly revisionHistoryLimit?: number;
  readonly deleting?: boolean;
}

/** A test bed: the set (its status as last written), the cluster, the history. */
class Harness {
  readonly cluster = new FakeCluster();
  readonly history = new FakeHistory();
  readonly status = new FakeStatus();
  readonly control: StatefulSetControl;
  set: StatefulSet;

  constructor(init: SetInit = {}, options: { maxUnavailableStatefulSet?: boolean } = {}) {
    this.set = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: {
        namespace: "default",
        name: "web",
        uid: "uid-web",
        generation: 1,
        ...(init.deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
      },
      spec: {
        replicas: init.replicas ?? 3,
        serviceName: "web",
        selector: { matchLabels: { app: "web" } },
        podManagementPolicy: init.parallel ? "Parallel" : "OrderedReady",
        updateStrategy: init.strategy ?? { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
        revisionHistoryLimit: init.revisionHistoryLimit ?? 10,
        ...(init.minReadySeconds ? { minReadySeconds: init.minReadySeconds } : {}),
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "c", image: init.image ?? "nginx:1" }] },
        },
      },
    };
    this.control = new StatefulSetControl({
      podControl: this.cluster,
      history: this.history,
      statusUpdater: this.status,
      now: () => NOW,
      logger: new RecordingLogger(),
      ...(options.maxUnavailableStatefulSet ? { maxUnavailableStatefulSet: true } : {}),
    });
  }

  /** One sync; the written status becomes the set's. */
  async sync(): Promise<StatefulSetStatus> {
    const status = await this.control.updateStatefulSet(this.set, {
      pods: this.cluster.list(),
      selector: compileLabelSelector(this.set.spec!.selector),
    });
    this.set = { ...this.set, status: this.status.writes.at(-1) ?? this.set.status! };
    return status;
  }

  /**
   * Syncs, making every pod ready after each, until no pod is written, then once more (the
   * sync a status write triggers).
   */
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      await this.sync();
      this.cluster.readyAll();
      const before = this.cluster.log.length;
      await this.sync();
      if (this.cluster.log.length === before) {
        await this.sync();
        return;
      }
    }
    throw new Error("Did not settle");
  }

  edit(fn: (spec: NonNullable<StatefulSet["spec"]>) => void): void {
    const next = structuredClone(this.set);
    fn(next.spec!);
    next.metadata!.generation = (next.metadata!.generation ?? 0) + 1;
    this.set = next;
  }

  revisionOf(name: string): string {
    return this.cluster.pods.get(name)?.metadata?.labels?.["controller-revision-hash"] ?? "";
  }
}

Deno.test("StatefulSetControl creates OrderedReady pods one at a time, each once its predecessor is ready", async () => {
  const h = new Harness();
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["create web-0"]);
  await h.sync();
  assert.deepEqual(h.cluster.take(), [], "web-0 is not Running and Ready yet");
  h.cluster.ready("web-0", 0);
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["create web-1"]);
  h.cluster.ready("web-1");
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["create web-2"]);
  h.cluster.ready("web-2");
  const status = await h.sync();
  assert.deepEqual(status, {
    observedGeneration: 1,
    currentRevision: status.updateRevision,
    updateRevision: status.updateRevision,
    collisionCount: 0,
    replicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
    currentReplicas: 3,
    updatedReplicas: 3,
  });
  assert.match(status.updateRevision!, /^web-[bcdf4-9]+$/);
  const writes = h.status.writes.length;
  await h.sync();
  assert.equal(h.status.writes.length, writes, "an unchanged status is not written");
});

Deno.test("StatefulSetControl waits minReadySeconds before the next OrderedReady pod", async () => {
  const h = new Harness({ minReadySeconds: 30 });
  await h.sync();
  h.cluster.ready("web-0", 10_000);
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["create web-0"]);
  h.cluster.ready("web-0", 31_000);
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["create web-1"]);
});

Deno.test("StatefulSetControl creates Parallel pods at once, in slow-start batches", async () => {
  const h = new Harness({ parallel: true, replicas: 4 });
  const status = await h.sync();
  assert.deepEqual(h.cluster.take(), [
    "create web-0",
    "create web-1",
    "create web-2",
    "create web-3",
  ]);
  assert.equal(status.replicas, 0, "the pods were not created when the status was counted");
  await h.sync();
  assert.equal(h.set.status?.replicas, 4);
  h.cluster.createError = new Error("quota");
  h.cluster.pods.delete("web-2");
  await assert.rejects(h.sync(), /quota/);
});

Deno.test("StatefulSetControl scales down from the highest ordinal and halts on an unhealthy pod", async () => {
  const h = new Harness({ replicas: 4 });
  await h.settle();
  h.cluster.take();
  h.edit((spec) => (spec.replicas = 1));
  h.cluster.notReady("web-0");
  await h.sync();
  assert.deepEqual(h.cluster.take(), [], "web-0 is unhealthy");
  h.cluster.ready("web-0");
  h.cluster.notReady("web-2");
  h.cluster.notReady("web-3");
  await h.sync();
  assert.deepEqual(h.cluster.take(), [], "web-3 is unhealthy and web-2 is the first unhealthy pod");
  h.cluster.ready("web-2");
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["delete web-3"], "the first unhealthy pod may go");
  h.cluster.graceful = true;
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["delete web-2"]);
  await h.sync();
  assert.deepEqual(h.cluster.take(), [], "web-2 is terminating: wait");
  h.cluster.pods.delete("web-2");
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["delete web-1"]);
});

Deno.test("StatefulSetControl deletes a Failed pod and makes it again once it is gone", async () => {
  const h = new Harness({ replicas: 2 });
  await h.settle();
  h.cluster.take();
  h.cluster.pods.get("web-0")!.status = { phase: "Failed" };
  h.cluster.graceful = true;
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["delete web-0"]);
  await h.sync();
  assert.deepEqual(h.cluster.take(), [], "still being deleted");
  h.cluster.pods.delete("web-0");
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["create web-0"]);
});

Deno.test("StatefulSetControl waits for a stale claim, repairs pods and fixes condemned claims", async () => {
  const h = new Harness({ replicas: 2 });
  h.cluster.staleClaims.add("web-0");
  await h.sync();
  assert.deepEqual(h.cluster.take(), []);
  h.cluster.staleClaims.clear();
  await h.settle();
  h.cluster.take();
  delete h.cluster.pods.get("web-1")!.metadata!.labels!["statefulset.kubernetes.io/pod-name"];
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["update web-1"], "the lost pod-name label is repaired");
  h.cluster.claimsMatch = false;
  h.cluster.pods.get("web-1")!.metadata!.labels!["statefulset.kubernetes.io/pod-name"] = "web-1";
  h.edit((spec) => (spec.replicas = 1));
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["update web-0", "claims web-1", "delete web-1"]);
  h.cluster.pods.get("web-0")!.status = { phase: "Pending" };
  h.cluster.claimsMatch = true;
  h.edit((spec) => (spec.volumeClaimTemplates = [{ metadata: { name: "www" } }]));
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["missing claims web-0"]);
});

Deno.test("StatefulSetControl rolls an update from the highest ordinal down to the partition", async () => {
  const h = new Harness({ strategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } });
  await h.settle();
  h.cluster.take();
  const rev1 = h.set.status!.currentRevision!;
  h.edit((spec) => (spec.template.spec!.containers[0]!.image = "nginx:2"));
  let status = await h.sync();
  const rev2 = status.updateRevision!;
  assert.notEqual(rev2, rev1);
  assert.deepEqual(h.cluster.take(), ["delete web-2"]);
  assert.equal(status.currentReplicas, 2);
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["create web-2"]);
  assert.equal(h.revisionOf("web-2"), rev2);
  assert.equal(h.cluster.pods.get("web-2")!.spec?.containers[0]?.image, "nginx:2");
  await h.sync();
  assert.deepEqual(h.cluster.take(), [], "web-2 is not ready yet");
  h.cluster.ready("web-2");
  status = await h.sync();
  assert.deepEqual(h.cluster.take(), [], "web-1 and web-0 are below the partition");
  assert.equal(status.currentRevision, rev1);
  assert.equal(status.updatedReplicas, 1);

  h.edit((
    spec,
  ) => (spec.updateStrategy = { type: "RollingUpdate", rollingUpdate: { partition: 0 } }));
  await h.settle();
  assert.deepEqual(h.cluster.take(), [
    "delete web-1",
    "create web-1",
    "delete web-0",
    "create web-0",
  ]);
  assert.equal(h.set.status?.currentRevision, rev2);
  assert.equal(h.set.status?.currentReplicas, 3);
  assert.deepEqual(h.history.numbers(), [1, 2]);
});

Deno.test("StatefulSetControl rolls up to maxUnavailable pods at once with the feature gate", async () => {
  const h = new Harness({
    replicas: 4,
    strategy: { type: "RollingUpdate", rollingUpdate: { partition: 0, maxUnavailable: 2 } },
  }, { maxUnavailableStatefulSet: true });
  await h.settle();
  h.cluster.take();
  h.edit((spec) => (spec.template.spec!.containers[0]!.image = "nginx:2"));
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["delete web-3", "delete web-2"]);
});

Deno.test("StatefulSetControl leaves OnDelete pods until they are deleted", async () => {
  const h = new Harness({ strategy: { type: "OnDelete" } });
  await h.settle();
  h.cluster.take();
  const rev1 = h.set.status!.currentRevision!;
  h.edit((spec) => (spec.template.spec!.containers[0]!.image = "nginx:2"));
  const status = await h.sync();
  assert.deepEqual(h.cluster.take(), []);
  assert.notEqual(status.updateRevision, rev1);
  assert.equal(status.updatedReplicas, 0);
  h.cluster.pods.delete("web-0");
  await h.sync();
  assert.deepEqual(h.cluster.take(), ["create web-0"]);
  assert.equal(h.revisionOf("web-0"), status.updateRevision);
  assert.equal(h.revisionOf("web-1"), rev1);
});

Deno.test("StatefulSetControl reuses an equal old revision and trims history to revisionHistoryLimit", async () => {
  const h = new Harness({ replicas: 1, revisionHistoryLimit: 1 });
  await h.settle();
  const rev1 = h.set.status!.currentRevision!;
  for (const image of ["nginx:2", "nginx:3"]) {
    h.edit((spec) => (spec.template.spec!.containers[0]!.image = image));
    await h.settle();
  }
  // Live: the current revision (3); one old one (2) is kept, 1 was deleted.
  assert.deepEqual(h.history.numbers(), [2, 3]);
  assert.equal(h.history.revisions.has(rev1), false);
  h.edit((spec) => (spec.template.spec!.containers[0]!.image = "nginx:2"));
  await h.settle();
  assert.deepEqual(h.history.numbers(), [3, 4], "revision 2 renumbered to 4, nothing new");
});

Deno.test("StatefulSetControl keeps the collision count the history reports", async () => {
  const h = new Harness({ replicas: 1 });
  // A revision of another template already holds the name this one hashes to.
  const taken = controllerRevisionName(
    "web",
    hashControllerRevision(
      {
        data: templateRevisionData(h.set.spec!.template),
        revision: 1,
      } as ControllerRevision,
      0,
    ),
  );
  h.history.revisions.set(taken, {
    metadata: { name: taken, labels: { app: "other" } },
    data: { other: true },
    revision: 1,
  });
  const status = await h.sync();
  assert.equal(status.collisionCount, 1);
  assert.notEqual(status.updateRevision, taken);
});

Deno.test("StatefulSetControl only writes status for a set being deleted", async () => {
  const h = new Harness({ deleting: true });
  const status = await h.sync();
  assert.deepEqual(h.cluster.take(), []);
  assert.equal(status.replicas, 0);
  assert.equal(h.status.writes.length, 1);
});
