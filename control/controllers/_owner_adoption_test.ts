import assert from "node:assert/strict";
import type { ReplicaSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { ScriptedTransport } from "../client/_test_transport.ts";
import { Client } from "../client/client.ts";
import { REPLICA_SETS } from "../client/resources.ts";
import { indexByOwnerUid, ObjectStore } from "../client/store.ts";
import {
  claimCandidates,
  claimOwnedPods,
  controlledBy,
  indexOrphansByNamespace,
  ORPHAN_NAMESPACE_INDEX,
  OWNER_UID_INDEX,
  recheckOwner,
} from "./_owner_adoption.ts";
import { isPodActive } from "./active_pods.ts";
import { FakePodControl } from "./pod_control.ts";

const KIND = { apiVersion: "apps/v1", kind: "ReplicaSet" };

const WEB: ReplicaSet = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name: "web", namespace: "default", uid: "uid-web" },
  spec: { selector: { matchLabels: { app: "web" } }, template: {} },
};

function pod(
  name: string,
  fields: {
    owner?: string;
    controller?: boolean;
    app?: string;
    ns?: string;
    phase?: "Succeeded" | "Running";
  } = {},
): Pod {
  return {
    metadata: {
      name,
      namespace: fields.ns ?? "default",
      uid: `uid-${name}`,
      ...(fields.app ? { labels: { app: fields.app } } : {}),
      ...(fields.owner
        ? {
          ownerReferences: [{
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: fields.owner,
            uid: `uid-${fields.owner}`,
            controller: fields.controller ?? true,
          }],
        }
        : {}),
    },
    ...(fields.phase ? { status: { phase: fields.phase } } : {}),
  };
}

function podStore(...pods: Pod[]): ObjectStore<Pod> {
  const store = new ObjectStore<Pod>({
    indexers: {
      [OWNER_UID_INDEX]: indexByOwnerUid,
      [ORPHAN_NAMESPACE_INDEX]: indexOrphansByNamespace,
    },
  });
  for (const p of pods) store.add(p);
  return store;
}

function names(pods: readonly Pod[]): string[] {
  return pods.map((p) => p.metadata?.name ?? "").sort();
}

Deno.test("indexOrphansByNamespace() files only objects without a controller", () => {
  assert.deepEqual(indexOrphansByNamespace(pod("a")), ["default"]);
  assert.deepEqual(indexOrphansByNamespace(pod("b", { owner: "web", controller: false })), [
    "default",
  ]);
  assert.deepEqual(indexOrphansByNamespace(pod("c", { owner: "web" })), []);
});

Deno.test("controlledBy() and claimCandidates() find an owner's pods and its namespace's orphans", () => {
  const store = podStore(
    pod("mine", { owner: "web" }),
    pod("theirs", { owner: "other" }),
    pod("referenced", { owner: "web", controller: false }),
    pod("orphan", { app: "web" }),
    pod("far-orphan", { app: "web", ns: "other" }),
  );
  assert.deepEqual(names(controlledBy(store, "uid-web")), ["mine"]);
  assert.deepEqual(names(claimCandidates(store, WEB)), ["mine", "orphan", "referenced"]);
});

Deno.test("claimOwnedPods() adopts matching orphans, releases pods that stopped matching", async () => {
  const podControl = new FakePodControl();
  const store = podStore(
    pod("kept", { owner: "web", app: "web" }),
    pod("released", { owner: "web", app: "db" }),
    pod("adopted", { app: "web" }),
    pod("ignored", { app: "db" }),
    pod("done", { app: "web", phase: "Succeeded" }),
  );
  let rechecks = 0;
  const { claimed, errors } = await claimOwnedPods({
    podStore: store,
    podControl,
    owner: WEB,
    kind: KIND,
    matches: (p) => p.metadata?.labels?.app === "web",
    canAdopt: () => {
      rechecks++;
      return Promise.resolve();
    },
    candidates: (pods) => pods.filter(isPodActive),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(names(claimed), ["adopted", "kept"]);
  assert.deepEqual(podControl.patches.map((p) => p.name).sort(), ["adopted", "released"]);
  assert.equal(rechecks, 1);
});

Deno.test("claimOwnedPods() adopts nothing when the owner may not adopt", async () => {
  const podControl = new FakePodControl();
  const { claimed, errors } = await claimOwnedPods({
    podStore: podStore(pod("orphan", { app: "web" }), pod("kept", { owner: "web", app: "web" })),
    podControl,
    owner: WEB,
    kind: KIND,
    matches: () => true,
    canAdopt: () => Promise.reject(new Error("being deleted")),
  });
  assert.deepEqual(names(claimed), ["kept"]);
  assert.equal(errors.length, 1);
  assert.match(
    String(errors[0]),
    /Cannot adopt pod "default\/orphan" \(uid-orphan\): being deleted/,
  );
  assert.deepEqual(podControl.patches, []);
});

Deno.test("recheckOwner() rejects unless a fresh read shows the same owner, not being deleted", async (t) => {
  const cases: { name: string; answer: () => Response; want?: RegExp }[] = [
    { name: "the same owner", answer: () => Response.json(WEB) },
    {
      name: "a new owner of the name",
      answer: () => Response.json({ ...WEB, metadata: { ...WEB.metadata, uid: "uid-new" } }),
      want: /^Error: Original ReplicaSet "default\/web" is gone: got uid uid-new, wanted uid-web$/,
    },
    {
      name: "the owner being deleted",
      answer: () =>
        Response.json({
          ...WEB,
          metadata: { ...WEB.metadata, deletionTimestamp: "2025-01-01T00:00:00Z" },
        }),
      want: /^Error: ReplicaSet "default\/web" has just been deleted at 2025-01-01T00:00:00Z$/,
    },
    {
      name: "a failed read",
      answer: () =>
        Response.json({
          kind: "Status",
          status: "Failure",
          reason: "NotFound",
          message: 'replicasets.apps "web" not found',
          code: 404,
        }, { status: 404 }),
      want: /^Error: Cannot recheck deletionTimestamp: replicasets.apps "web" not found$/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const transport = new ScriptedTransport(() => c.answer());
      const client = new Client(transport).resource(REPLICA_SETS);
      const result = recheckOwner(WEB, { client, kind: KIND });
      if (c.want) await assert.rejects(result, (err) => c.want!.test(String(err)));
      else await result;
      assert.deepEqual(transport.requests.map((r) => `${r.method} ${r.pathname}`), [
        "GET /apis/apps/v1/namespaces/default/replicasets/web",
      ]);
    });
  }
});
