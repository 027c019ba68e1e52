import assert from "node:assert/strict";
import type { ControllerRevision, StatefulSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { PersistentVolumeClaim } from "../api/types/core_v1_storage.ts";
import type { OwnerReference } from "../api/types/meta_v1.ts";
import {
  applyRevision,
  claimOwnerRefsForPolicy,
  completeRollingUpdate,
  countReplicas,
  hasStaleOwnerRef,
  identityMatches,
  inconsistentStatus,
  isClaimOwnerUpToDate,
  isMemberOf,
  isUnavailable,
  maxUnavailable,
  newStatefulSetPod,
  newStatefulSetRevision,
  newVersionedStatefulSetPod,
  parentNameAndOrdinal,
  persistentVolumeClaims,
  POD_KIND,
  podInOrdinalRange,
  storageMatches,
  updateIdentity,
  updateStorage,
} from "./_stateful_set_utils.ts";
import { templateRevisionData } from "./controller_history.ts";

function set(init: Partial<NonNullable<StatefulSet["spec"]>> = {}): StatefulSet {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { namespace: "default", name: "web", uid: "uid-web", annotations: { a: "1" } },
    spec: {
      replicas: 3,
      serviceName: "nginx",
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" }, annotations: { t: "x" } },
        spec: { containers: [{ name: "c", image: "nginx:1" }] },
      },
      volumeClaimTemplates: [{ metadata: { name: "www", labels: { tier: "data" } }, spec: {} }],
      ...init,
    },
  };
}

function pod(name: string, init: Partial<Pod> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: "default", name, uid: `uid-${name}`, ...init.metadata },
    spec: { containers: [], ...init.spec },
    ...(init.status ? { status: init.status } : {}),
  };
}

const NOW = Date.UTC(2025, 0, 1);

function readyPod(name: string, init: { readySince?: number; deleting?: boolean } = {}): Pod {
  return pod(name, {
    metadata: {
      labels: { "controller-revision-hash": "web-1" },
      ...(init.deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
    },
    status: {
      phase: "Running",
      conditions: [{
        type: "Ready",
        status: "True",
        lastTransitionTime: new Date(init.readySince ?? NOW - 60_000).toISOString(),
      }],
    },
  });
}

Deno.test("parentNameAndOrdinal() reads the set and ordinal from a pod name", async (t) => {
  const cases: [string, string, number][] = [
    ["web-0", "web", 0],
    ["my-db-12", "my-db", 12],
    ["web", "", -1],
    ["web-x", "", -1],
    ["web-99999999999", "web", -1],
  ];
  for (const [name, parent, ordinal] of cases) {
    await t.step(name, () => assert.deepEqual(parentNameAndOrdinal(name), { parent, ordinal }));
  }
});

Deno.test("podInOrdinalRange() honours spec.ordinals.start", () => {
  const s = set({ replicas: 2, ordinals: { start: 3 } });
  assert.deepEqual(
    ["web-2", "web-3", "web-4", "web-5"].map((n) => podInOrdinalRange(pod(n), s)),
    [false, true, true, false],
  );
  assert.equal(isMemberOf(s, pod("web-9")), true);
  assert.equal(isMemberOf(s, pod("webby-1")), false);
});

Deno.test("newStatefulSetPod() gives the pod its identity, storage and controller", () => {
  const p = newStatefulSetPod(set(), 1);
  assert.equal(p.metadata?.name, "web-1");
  assert.equal(p.metadata?.generateName, "web-");
  assert.equal(p.metadata?.namespace, "default");
  assert.deepEqual(p.metadata?.labels, {
    app: "web",
    "statefulset.kubernetes.io/pod-name": "web-1",
    "apps.kubernetes.io/pod-index": "1",
  });
  assert.deepEqual(p.metadata?.annotations, { t: "x" });
  assert.equal(p.spec?.hostname, "web-1");
  assert.equal(p.spec?.subdomain, "nginx");
  assert.deepEqual(p.spec?.volumes, [{
    name: "www",
    persistentVolumeClaim: { claimName: "www-web-1" },
  }]);
  assert.deepEqual(p.metadata?.ownerReferences, [{
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    name: "web",
    uid: "uid-web",
    controller: true,
    blockOwnerDeletion: true,
  }]);
  assert.ok(identityMatches(set(), p));
  assert.ok(storageMatches(set(), p));
});

Deno.test("identityMatches() and storageMatches() spot what a repair must fix", async (t) => {
  const good = newStatefulSetPod(set(), 0);
  const cases: [string, Pod, boolean, boolean][] = [
    ["as made", good, true, true],
    ["no pod-name label", { ...good, metadata: { ...good.metadata, labels: {} } }, false, true],
    ["another namespace", { ...good, metadata: { ...good.metadata, namespace: "x" } }, false, true],
    ["no claim volume", { ...good, spec: { containers: [] } }, true, false],
    [
      "a volume of that name not on the claim",
      { ...good, spec: { containers: [], volumes: [{ name: "www", emptyDir: {} }] } },
      true,
      false,
    ],
  ];
  for (const [what, p, identity, storage] of cases) {
    await t.step(what, () => {
      assert.equal(identityMatches(set(), p), identity);
      assert.equal(storageMatches(set(), p), storage);
    });
  }
});

Deno.test("updateIdentity() and updateStorage() repair a pod, keeping its other volumes", () => {
  const p = pod("web-2", {
    spec: {
      containers: [],
      volumes: [{ name: "cache", emptyDir: {} }, { name: "www", emptyDir: {} }],
    },
  });
  updateIdentity(set(), p);
  updateStorage(set(), p);
  assert.equal(p.metadata?.labels?.["statefulset.kubernetes.io/pod-name"], "web-2");
  assert.deepEqual(p.spec?.volumes, [
    { name: "www", persistentVolumeClaim: { claimName: "www-web-2" } },
    { name: "cache", emptyDir: {} },
  ]);
});

Deno.test("persistentVolumeClaims() names claims for the ordinal and adds the selector labels", () => {
  const claims = persistentVolumeClaims(set(), 4);
  assert.deepEqual([...claims.keys()], ["www"]);
  assert.deepEqual(claims.get("www")?.metadata, {
    name: "www-web-4",
    namespace: "default",
    labels: { tier: "data", app: "web" },
  });
});

Deno.test("newVersionedStatefulSetPod() keeps ordinals below the partition at the current revision", async (t) => {
  const current = set();
  const update = set({
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "c", image: "nginx:2" }] },
    },
  });
  const cases: [string, NonNullable<StatefulSet["spec"]>["updateStrategy"], number, string][] = [
    ["below the partition", { type: "RollingUpdate", rollingUpdate: { partition: 2 } }, 1, "cur"],
    ["at the partition", { type: "RollingUpdate", rollingUpdate: { partition: 2 } }, 2, "upd"],
    ["OnDelete", { type: "OnDelete" }, 0, "upd"],
    [
      "RollingUpdate without rollingUpdate, below currentReplicas",
      { type: "RollingUpdate" },
      0,
      "cur",
    ],
    [
      "RollingUpdate without rollingUpdate, above currentReplicas",
      { type: "RollingUpdate" },
      1,
      "upd",
    ],
  ];
  for (const [what, updateStrategy, ordinal, want] of cases) {
    await t.step(what, () => {
      const currentSet: StatefulSet = {
        ...current,
        spec: { ...current.spec!, ...(updateStrategy ? { updateStrategy } : {}) },
        status: { replicas: 3, currentReplicas: 1 },
      };
      const p = newVersionedStatefulSetPod({
        currentSet,
        updateSet: update,
        currentRevision: "cur",
        updateRevision: "upd",
        ordinal,
      });
      assert.equal(p.metadata?.labels?.["controller-revision-hash"], want);
      assert.equal(p.spec?.containers[0]?.image, want === "cur" ? "nginx:1" : "nginx:2");
    });
  }
});

Deno.test("newStatefulSetRevision() and applyRevision() round-trip the template", () => {
  const r = newStatefulSetRevision(set(), { revision: 4, collisionCount: 0 });
  assert.equal(r.revision, 4);
  assert.deepEqual(r.metadata?.annotations, { a: "1" });
  assert.equal(r.metadata?.labels?.app, "web");
  const other = set({ template: { metadata: {}, spec: { containers: [] } } });
  const restored = applyRevision(other, r);
  assert.equal(restored.spec?.template.spec?.containers[0]?.image, "nginx:1");
  assert.equal(restored.spec?.template.metadata?.creationTimestamp, undefined);
  assert.equal(other.spec?.template.spec?.containers.length, 0, "the input is left alone");
  const empty = { data: templateRevisionData({}), revision: 1 } as ControllerRevision;
  assert.deepEqual(applyRevision(other, empty).spec?.template.spec, {});
});

Deno.test("countReplicas() counts created, ready, available, current and updated pods", () => {
  const pods = [
    readyPod("web-0"),
    readyPod("web-1", { readySince: NOW - 1000 }),
    readyPod("web-2", { deleting: true }),
    pod("web-3"),
    pod("web-4", {
      metadata: { labels: { "controller-revision-hash": "web-2" } },
      status: { phase: "Pending" },
    }),
    undefined,
  ];
  assert.deepEqual(
    countReplicas(pods, {
      minReadySeconds: 10,
      nowMs: NOW,
      currentRevision: "web-1",
      updateRevision: "web-2",
    }),
    { replicas: 4, readyReplicas: 3, availableReplicas: 2, currentReplicas: 2, updatedReplicas: 1 },
  );
  assert.equal(
    isUnavailable(readyPod("web-1", { readySince: NOW - 1000 }), {
      minReadySeconds: 10,
      nowMs: NOW,
    }),
    true,
  );
  assert.equal(isUnavailable(readyPod("web-1"), { minReadySeconds: 10, nowMs: NOW }), false);
});

Deno.test("completeRollingUpdate() makes the update revision current once all are updated and ready", async (t) => {
  const cases: [string, number, number, boolean][] = [
    ["all updated and ready", 3, 3, true],
    ["one not updated", 2, 3, false],
    ["one not ready", 3, 2, false],
  ];
  for (const [what, updated, ready, done] of cases) {
    await t.step(what, () => {
      const status = {
        replicas: 3,
        updatedReplicas: updated,
        readyReplicas: ready,
        currentReplicas: 1,
        currentRevision: "a",
        updateRevision: "b",
      };
      completeRollingUpdate(set({ updateStrategy: { type: "RollingUpdate" } }), status);
      assert.equal(status.currentRevision, done ? "b" : "a");
      assert.equal(status.currentReplicas, done ? updated : 1);
    });
  }
  const onDelete = {
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 3,
    currentRevision: "a",
    updateRevision: "b",
  };
  completeRollingUpdate(set({ updateStrategy: { type: "OnDelete" } }), onDelete);
  assert.equal(onDelete.currentRevision, "a");
});

Deno.test("inconsistentStatus() compares upstream's fields", () => {
  const s: StatefulSet = {
    ...set(),
    status: {
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 3,
      currentRevision: "a",
      updateRevision: "a",
    },
  };
  assert.equal(inconsistentStatus(s, { ...s.status! }), false);
  assert.equal(inconsistentStatus(s, { ...s.status!, readyReplicas: 2 }), true);
  assert.equal(inconsistentStatus(s, { ...s.status!, observedGeneration: 3 }), true);
  assert.equal(inconsistentStatus(s, { ...s.status!, updateRevision: "b" }), true);
});

Deno.test("maxUnavailable() is 1 by default and at least 1", async (t) => {
  const cases: [number | string | undefined, number][] = [[undefined, 1], [3, 3], ["50%", 2], [
    "10%",
    1,
  ]];
  for (const [value, want] of cases) {
    await t.step(String(value), () => {
      const s = set({
        replicas: 5,
        updateStrategy: {
          type: "RollingUpdate",
          rollingUpdate: value === undefined ? {} : { maxUnavailable: value },
        },
      });
      assert.equal(maxUnavailable(s), want);
    });
  }
});

function claim(refs: OwnerReference[]): PersistentVolumeClaim {
  return { metadata: { namespace: "default", name: "www-web-1", ownerReferences: refs } };
}

const SET_REF: OwnerReference = {
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  name: "web",
  uid: "uid-web",
  controller: true,
  blockOwnerDeletion: true,
};
const POD_REF: OwnerReference = {
  apiVersion: "v1",
  kind: "Pod",
  name: "web-1",
  uid: "uid-web-1",
  controller: true,
  blockOwnerDeletion: true,
};

Deno.test("isClaimOwnerUpToDate() and claimOwnerRefsForPolicy() follow the retention policy", async (t) => {
  // [whenDeleted, whenScaled, replicas (2 keeps web-1, 1 scales it away), wanted refs]
  const cases: [string, string, number, OwnerReference[]][] = [
    ["Retain", "Retain", 2, []],
    ["Retain", "Retain", 1, []],
    ["Delete", "Retain", 2, [SET_REF]],
    ["Delete", "Retain", 1, [SET_REF]],
    ["Retain", "Delete", 2, []],
    ["Retain", "Delete", 1, [POD_REF]],
    ["Delete", "Delete", 2, [SET_REF]],
    ["Delete", "Delete", 1, [POD_REF]],
  ];
  for (const [whenDeleted, whenScaled, replicas, want] of cases) {
    await t.step(`${whenDeleted}/${whenScaled} with ${replicas} replicas`, () => {
      const s = set({
        replicas,
        persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled },
      });
      const owners = { set: s, pod: pod("web-1") };
      assert.deepEqual(claimOwnerRefsForPolicy(claim([]), owners), want);
      assert.equal(isClaimOwnerUpToDate(claim(want), owners), true);
      for (const wrong of [[], [SET_REF], [POD_REF], [SET_REF, POD_REF]]) {
        if (JSON.stringify(wrong) === JSON.stringify(want)) continue;
        assert.equal(isClaimOwnerUpToDate(claim(wrong), owners), false, JSON.stringify(wrong));
        assert.deepEqual(claimOwnerRefsForPolicy(claim(wrong), owners), want);
      }
    });
  }
});

Deno.test("isClaimOwnerUpToDate() leaves claims with stale references or another controller alone", () => {
  const s = set({
    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" },
  });
  const owners = { set: s, pod: pod("web-1") };
  const stale = claim([{ ...POD_REF, uid: "old-pod" }]);
  assert.equal(hasStaleOwnerRef(stale, { object: pod("web-1"), kind: POD_KIND }), true);
  assert.equal(isClaimOwnerUpToDate(stale, owners), true);
  const other: OwnerReference = {
    apiVersion: "v1",
    kind: "Thing",
    name: "t",
    uid: "u",
    controller: true,
  };
  assert.equal(isClaimOwnerUpToDate(claim([other]), owners), true);
  // Our own reference next to another controller is removed, and none is added.
  assert.equal(isClaimOwnerUpToDate(claim([other, SET_REF]), owners), false);
  assert.deepEqual(claimOwnerRefsForPolicy(claim([other, SET_REF]), owners), [other]);
  // A non-controller reference to the set is made a controller one.
  assert.equal(isClaimOwnerUpToDate(claim([{ ...SET_REF, controller: false }]), owners), false);
});
