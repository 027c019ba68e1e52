import assert from "node:assert/strict";
import { BUILTIN_RESOURCES } from "./builtin_resources.ts";
import type { ResourceDef } from "./resource_def.ts";
import { ResourceRegistry } from "./resource_registry.ts";

function builtin(group: string, resource: string): ResourceDef {
  const def = BUILTIN_RESOURCES.find((d) => d.group === group && d.resource === resource);
  assert.ok(def, `${group}/${resource} is served`);
  return def;
}

Deno.test("BUILTIN_RESOURCES builds a registry: no resource is served twice", () => {
  const registry = new ResourceRegistry(BUILTIN_RESOURCES);
  assert.equal(registry.all().length, BUILTIN_RESOURCES.length);
  assert.deepEqual(registry.groups()[0], { name: "", versions: ["v1"] });
});

Deno.test("BUILTIN_RESOURCES lists the core group first, its resources alphabetical", () => {
  const core = BUILTIN_RESOURCES.filter((d) => d.group === "");
  assert.deepEqual(BUILTIN_RESOURCES.slice(0, core.length), core, "core first");
  const names = core.map((d) => d.resource);
  assert.deepEqual(names, [...names].sort());
});

Deno.test("BUILTIN_RESOURCES: every kind's schema carries its group, version and kind", () => {
  for (const def of BUILTIN_RESOURCES) {
    const gvks = def.schema.gvk ?? [];
    assert.ok(
      gvks.some((g) => g.group === def.group && g.version === def.version && g.kind === def.kind),
      `${def.group}/${def.version} ${def.kind}: schema gvk ${JSON.stringify(gvks)}`,
    );
    assert.equal(def.singular, def.kind.toLowerCase(), `${def.resource} singular`);
    assert.match(def.resource, /^[a-z]+$/);
  }
});

Deno.test("BUILTIN_RESOURCES: scopes, short names and categories as kube-apiserver's discovery", async (t) => {
  const cases: [string, string, boolean, string[], string[]][] = [
    ["", "pods", true, ["po"], ["all"]],
    ["", "services", true, ["svc"], ["all"]],
    ["", "namespaces", false, ["ns"], []],
    ["", "nodes", false, ["no"], []],
    ["", "configmaps", true, ["cm"], []],
    ["", "serviceaccounts", true, ["sa"], []],
    ["", "events", true, ["ev"], []],
    ["", "endpoints", true, ["ep"], []],
    ["", "persistentvolumes", false, ["pv"], []],
    ["", "persistentvolumeclaims", true, ["pvc"], []],
    ["", "secrets", true, [], []],
    ["", "replicationcontrollers", true, ["rc"], ["all"]],
    ["apps", "deployments", true, ["deploy"], ["all"]],
    ["apps", "replicasets", true, ["rs"], ["all"]],
    ["apps", "statefulsets", true, ["sts"], ["all"]],
    ["apps", "daemonsets", true, ["ds"], ["all"]],
    ["batch", "jobs", true, [], ["all"]],
    ["batch", "cronjobs", true, ["cj"], ["all"]],
    ["networking.k8s.io", "ingresses", true, ["ing"], []],
    ["policy", "poddisruptionbudgets", true, ["pdb"], []],
    ["rbac.authorization.k8s.io", "clusterroles", false, [], []],
    ["storage.k8s.io", "storageclasses", false, ["sc"], []],
    ["scheduling.k8s.io", "priorityclasses", false, ["pc"], []],
  ];
  for (const [group, resource, namespaced, shortNames, categories] of cases) {
    await t.step(`${group || "core"}/${resource}`, () => {
      const def = builtin(group, resource);
      assert.equal(def.namespaced, namespaced);
      assert.deepEqual([...(def.shortNames ?? [])], shortNames);
      assert.deepEqual([...(def.categories ?? [])], categories);
    });
  }
});

Deno.test("BUILTIN_RESOURCES: status and scale subresources where kube-apiserver serves them", () => {
  const withStatus = BUILTIN_RESOURCES.filter((d) => d.statusSubresource)
    .map((d) => `${d.group}/${d.resource}`).sort();
  assert.deepEqual(withStatus, [
    "/namespaces",
    "/nodes",
    "/persistentvolumeclaims",
    "/persistentvolumes",
    "/pods",
    "/replicationcontrollers",
    "/resourcequotas",
    "/services",
    "apiextensions.k8s.io/customresourcedefinitions",
    "apps/daemonsets",
    "apps/deployments",
    "apps/replicasets",
    "apps/statefulsets",
    "batch/cronjobs",
    "batch/jobs",
    "networking.k8s.io/ingresses",
    "policy/poddisruptionbudgets",
  ]);
  const withScale = BUILTIN_RESOURCES.filter((d) => d.scale).map((d) => d.resource).sort();
  assert.deepEqual(withScale, [
    "deployments",
    "replicasets",
    "replicationcontrollers",
    "statefulsets",
  ]);
  assert.deepEqual(builtin("apps", "deployments").scale, {
    specReplicasPath: ".spec.replicas",
    statusReplicasPath: ".status.replicas",
    labelSelectorPath: "spec.selector",
  });
});

Deno.test("BUILTIN_RESOURCES: pods' binding, eviction, log, streaming and proxy name their kinds", () => {
  assert.deepEqual(builtin("", "pods").extraSubresources, [
    { name: "binding", gvk: { group: "", version: "v1", kind: "Binding" }, verbs: ["create"] },
    {
      name: "eviction",
      gvk: { group: "policy", version: "v1", kind: "Eviction" },
      verbs: ["create"],
    },
    { name: "log", gvk: { group: "", version: "v1", kind: "Pod" }, verbs: ["get"] },
    {
      name: "exec",
      gvk: { group: "", version: "v1", kind: "PodExecOptions" },
      verbs: ["create", "get"],
    },
    {
      name: "attach",
      gvk: { group: "", version: "v1", kind: "PodAttachOptions" },
      verbs: ["create", "get"],
    },
    {
      name: "portforward",
      gvk: { group: "", version: "v1", kind: "PodPortForwardOptions" },
      verbs: ["create", "get"],
    },
    {
      name: "proxy",
      gvk: { group: "", version: "v1", kind: "PodProxyOptions" },
      verbs: ["create", "delete", "get", "patch", "update"],
    },
  ]);
  // Services and nodes have a proxy subresource too, with upstream's connect verbs.
  for (
    const [resource, kind] of [["services", "ServiceProxyOptions"], ["nodes", "NodeProxyOptions"]]
  ) {
    assert.deepEqual(builtin("", resource!).extraSubresources, [{
      name: "proxy",
      gvk: { group: "", version: "v1", kind: kind! },
      verbs: ["create", "delete", "get", "patch", "update"],
    }]);
  }
  assert.deepEqual(builtin("", "namespaces").extraSubresources, [
    { name: "finalize", gvk: { group: "", version: "v1", kind: "Namespace" }, verbs: ["update"] },
  ]);
  // Namespaces have no deletecollection; bindings are create-only.
  assert.deepEqual(builtin("", "namespaces").verbs, [
    "create",
    "delete",
    "get",
    "list",
    "patch",
    "update",
    "watch",
  ]);
  assert.deepEqual(builtin("", "bindings").verbs, ["create"]);
});

Deno.test("BUILTIN_RESOURCES: generation is tracked for kinds with a spec, as upstream", () => {
  for (const r of ["deployments", "replicasets", "statefulsets", "daemonsets"]) {
    assert.equal(builtin("apps", r).tracksGeneration, true, r);
  }
  assert.equal(builtin("batch", "jobs").tracksGeneration, true);
  assert.equal(builtin("", "configmaps").tracksGeneration, undefined);
  assert.equal(builtin("", "namespaces").tracksGeneration, undefined);
});

Deno.test("BUILTIN_RESOURCES: field selectors read what the conversion functions read", async (t) => {
  const pods = builtin("", "pods").fieldSelectors!;
  const pod = {
    spec: { nodeName: "n1", restartPolicy: "Always", schedulerName: "default-scheduler" },
    status: {
      phase: "Running",
      podIP: "10.42.0.5",
      podIPs: [{ ip: "10.42.0.5" }, { ip: "fd00::5" }],
    },
  };
  const cases: [string, Record<string, unknown>, string | undefined][] = [
    ["spec.nodeName", pod, "n1"],
    ["spec.restartPolicy", pod, "Always"],
    ["spec.schedulerName", pod, "default-scheduler"],
    ["spec.serviceAccountName", pod, undefined],
    ["status.phase", pod, "Running"],
    ["status.podIP", pod, "10.42.0.5"],
    // The first pod IP only.
    ["status.podIPs", pod, "10.42.0.5"],
    ["status.podIPs", {}, ""],
    // A bool prints as "true"/"false", unset as false.
    ["spec.hostNetwork", pod, "false"],
    ["spec.hostNetwork", { spec: { hostNetwork: true } }, "true"],
  ];
  for (const [field, obj, want] of cases) {
    await t.step(`${field} of ${JSON.stringify(obj).slice(0, 40)}`, () => {
      assert.equal(pods[field]!(obj), want);
    });
  }
  await t.step("events: involvedObject.* and source", () => {
    const events = builtin("", "events").fieldSelectors!;
    const ev = { involvedObject: { kind: "Pod", name: "p" }, source: { component: "kubelet" } };
    assert.equal(events["involvedObject.kind"]!(ev), "Pod");
    assert.equal(events["involvedObject.uid"]!(ev), undefined);
    assert.equal(events["source"]!(ev), "kubelet");
    assert.equal(events["source"]!({}), "");
  });
  await t.step("nodes: spec.unschedulable; services: spec.clusterIP, spec.type", () => {
    assert.equal(builtin("", "nodes").fieldSelectors!["spec.unschedulable"]!({}), "false");
    assert.deepEqual(Object.keys(builtin("", "services").fieldSelectors!), [
      "spec.clusterIP",
      "spec.type",
    ]);
    assert.deepEqual(Object.keys(builtin("", "namespaces").fieldSelectors!), ["status.phase"]);
    assert.deepEqual(Object.keys(builtin("", "secrets").fieldSelectors!), ["type"]);
  });
});

Deno.test("BUILTIN_RESOURCES: events.k8s.io Events are stored as core Events, with a TTL", () => {
  const v1 = builtin("events.k8s.io", "events");
  const core = builtin("", "events");
  assert.equal(v1.conversion?.storageResource, "events");
  assert.equal(v1.conversion?.storageGroup, "");
  assert.equal(v1.ttlMs, 3600_000);
  assert.equal(core.ttlMs, 3600_000);
  const stored = v1.conversion!.toStorage({
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: { name: "e", namespace: "default" },
    regarding: { kind: "Pod", name: "p", namespace: "default" },
    reason: "Started",
    note: "started",
    type: "Normal",
    eventTime: "2025-01-01T00:00:00.000000Z",
    reportingController: "kubelet",
    reportingInstance: "n1",
    action: "Start",
  });
  assert.equal(stored.apiVersion, "v1");
  assert.equal((stored as { involvedObject?: { name?: string } }).involvedObject?.name, "p");
  const back = v1.conversion!.fromStorage(stored);
  assert.equal(back.apiVersion, "events.k8s.io/v1");
  assert.equal((back as { note?: string }).note, "started");
});
