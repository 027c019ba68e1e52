import assert from "node:assert/strict";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import type { Strategy } from "../strategies/strategy.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { forbidden } from "../validation/field_errors.ts";
import {
  createWarnings,
  generateName,
  prepareCreate,
  prepareUpdate,
  resetObject,
  updateWarnings,
  validateCreate,
  validateUpdate,
} from "./object_lifecycle.ts";

function builtin(group: string, resource: string): ResourceDef {
  const def = BUILTIN_RESOURCES.find((d) => d.group === group && d.resource === resource);
  assert.ok(def, `${group}/${resource} is served`);
  return def;
}

/** A ConfigMap-like kind with a recording strategy. */
function recordingDef(strategy: Strategy, extra: Partial<ResourceDef> = {}): ResourceDef {
  return { ...builtin("", "configmaps"), strategy, ...extra };
}

const NOW = Date.UTC(2025, 2, 4, 5, 6, 7, 890);

/** A sequence of fixed "random" numbers, so generated names are predictable. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

Deno.test("generateName() appends five characters of upstream's alphabet", () => {
  assert.equal(generateName("web-", sequence(0)), "web-bbbbb");
  assert.equal(generateName("x".repeat(70), sequence(0)).length, 63);
});

Deno.test("prepareCreate() sets the uid and the generated name before prepareForCreate", () => {
  const seen: { name?: string; uid?: string }[] = [];
  const def = recordingDef({
    prepareForCreate(obj) {
      seen.push({
        ...(obj.metadata?.name ? { name: obj.metadata.name } : {}),
        uid: obj.metadata?.uid ?? "",
      });
    },
  });
  const obj: KubeObject = { metadata: { generateName: "cm-" } };
  prepareCreate(obj, { def, namespace: "default", nowMs: NOW, uid: "u-1", random: sequence(0.5) });
  assert.deepEqual(seen, [{ name: "cm-rrrrr", uid: "u-1" }]);
  assert.equal(obj.metadata?.namespace, "default");
  assert.equal(obj.metadata?.creationTimestamp, "2025-03-04T05:06:07Z");
  const named: KubeObject = { metadata: { name: "given", generateName: "cm-" } };
  prepareCreate(named, { def, namespace: "default", nowMs: NOW });
  assert.equal(named.metadata?.name, "given");
});

Deno.test("prepareCreate() lets a Job's generated selector see a generated name", () => {
  const def = builtin("batch", "jobs");
  const sent: KubeObject = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { generateName: "pi-" },
    spec: {
      template: { spec: { restartPolicy: "Never", containers: [{ name: "pi", image: "perl" }] } },
    },
  };
  const obj = structuredClone(sent);
  prepareCreate(obj, { def, namespace: "default", nowMs: NOW, uid: "u-1", random: sequence(0) });
  const labels = () =>
    (obj.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata
      .labels;
  assert.equal(obj.metadata?.name, "pi-bbbbb");
  assert.equal(labels()["batch.kubernetes.io/job-name"], "pi-bbbbb");
  assert.equal(labels()["batch.kubernetes.io/controller-uid"], "u-1");
  assert.deepEqual(validateCreate(obj, def).map(String), []);

  // A retry under a new name (the first one was taken) derives everything afresh.
  const meta = obj.metadata;
  resetObject(obj, sent);
  assert.equal(obj.metadata, meta, "the metadata object is kept");
  prepareCreate(obj, { def, namespace: "default", nowMs: NOW, uid: "u-2", random: sequence(0.99) });
  assert.equal(obj.metadata?.name, "pi-99999");
  assert.equal(labels()["batch.kubernetes.io/job-name"], "pi-99999");
  assert.equal(labels()["batch.kubernetes.io/controller-uid"], "u-2");
  assert.deepEqual(
    (obj.spec as { selector: unknown }).selector,
    { matchLabels: { "batch.kubernetes.io/controller-uid": "u-2" } },
  );
});

Deno.test("validateCreate() adds the strategy's create-only errors; validateUpdate() does not", () => {
  const def = recordingDef({
    validate: () => [forbidden("data", "always")],
    validateCreate: () => [forbidden("data", "on create")],
    validateUpdate: () => [forbidden("data", "on update")],
  });
  const obj: KubeObject = { metadata: { name: "a", namespace: "default" } };
  assert.deepEqual(validateCreate(obj, def).map(String), [
    "data: Forbidden: always",
    "data: Forbidden: on create",
  ]);
  assert.deepEqual(validateUpdate(obj, { def, old: obj, subresource: "" }).map(String), [
    "data: Forbidden: always",
    "data: Forbidden: on update",
  ]);
});

Deno.test("createWarnings() and updateWarnings() pass the stored object on updates only", () => {
  const calls: (KubeObject | undefined)[] = [];
  const def = recordingDef({
    warnings(_obj, old) {
      calls.push(old);
      return [old === undefined ? "create" : "update"];
    },
  });
  const obj: KubeObject = { metadata: { name: "a" } };
  const old: KubeObject = { metadata: { name: "a", resourceVersion: "1" } };
  assert.deepEqual(createWarnings(obj, def), ["create"]);
  assert.deepEqual(updateWarnings(obj, { def, old, subresource: "" }), ["update"]);
  assert.deepEqual(updateWarnings(obj, { def, old, subresource: "status" }), []);
  assert.deepEqual(calls, [undefined, old]);
});

function storedDeployment(): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "default",
      uid: "u-1",
      creationTimestamp: "2025-01-01T00:00:00Z",
      generation: 4,
      resourceVersion: "10",
      labels: { app: "web" },
      finalizers: ["example.com/keep"],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "nginx" }] },
      },
    },
    status: { replicas: 2 },
  };
}

Deno.test("prepareUpdate() on status keeps the spec and generation, takes request metadata", () => {
  const def = builtin("apps", "deployments");
  const old = storedDeployment();
  const obj = structuredClone(old);
  (obj.spec as { replicas: number }).replicas = 9;
  obj.status = { replicas: 2, readyReplicas: 2 };
  obj.metadata = {
    ...obj.metadata,
    generation: 99,
    labels: { app: "changed" },
    annotations: { note: "set by a status write" },
    finalizers: [],
  };
  prepareUpdate(obj, { def, old, subresource: "status" });
  assert.equal((obj.spec as { replicas: number }).replicas, 2);
  assert.deepEqual(obj.status, { replicas: 2, readyReplicas: 2 });
  assert.equal(obj.metadata?.generation, 4);
  // A Deployment's status write keeps the stored labels (its prepareForStatusUpdate) …
  assert.deepEqual(obj.metadata?.labels, { app: "web" });
  // … and, as upstream, may change the rest of the metadata.
  assert.deepEqual(obj.metadata?.annotations, { note: "set by a status write" });
  assert.deepEqual(obj.metadata?.finalizers, []);
});

Deno.test("prepareUpdate() on status lets other kinds change their labels", () => {
  const def = builtin("apps", "replicasets");
  const old = { ...storedDeployment(), kind: "ReplicaSet" };
  const obj = structuredClone(old);
  obj.metadata = { ...obj.metadata, labels: { app: "changed" } };
  prepareUpdate(obj, { def, old, subresource: "status" });
  assert.deepEqual(obj.metadata?.labels, { app: "changed" });
});

Deno.test("prepareUpdate() calls prepareForStatusUpdate only for status writes", () => {
  const calls: string[] = [];
  const def = recordingDef({
    prepareForUpdate: () => void calls.push("main"),
    prepareForStatusUpdate: () => void calls.push("status"),
  }, { statusSubresource: true });
  const old: KubeObject = { metadata: { name: "a" }, status: { x: 1 } };
  prepareUpdate(structuredClone(old), { def, old, subresource: "status" });
  prepareUpdate(structuredClone(old), { def, old, subresource: "" });
  assert.deepEqual(calls, ["status", "main"]);
});

Deno.test("prepareUpdate() ignores changes to server-set timestamps and bumps the generation", () => {
  const def = builtin("apps", "deployments");
  const old = storedDeployment();
  const obj = structuredClone(old);
  obj.metadata = { ...obj.metadata, creationTimestamp: "2030-01-01T00:00:00Z" };
  delete obj.metadata.uid;
  (obj.spec as { replicas: number }).replicas = 3;
  obj.status = { replicas: 7 };
  prepareUpdate(obj, { def, old, subresource: "" });
  assert.equal(obj.metadata?.creationTimestamp, "2025-01-01T00:00:00Z");
  assert.equal(obj.metadata?.uid, "u-1");
  assert.deepEqual(obj.status, { replicas: 2 });
  assert.equal(obj.metadata?.generation, 5);
});

Deno.test("prepareCreate() resets the status of kinds with a status subresource, but a Node's", () => {
  const deployment: KubeObject = { metadata: { name: "d" }, status: { replicas: 3 } };
  prepareCreate(deployment, {
    def: builtin("apps", "deployments"),
    namespace: "default",
    nowMs: NOW,
  });
  assert.deepEqual(deployment.status, {});
  const rs: KubeObject = { metadata: { name: "r" }, status: { replicas: 3, readyReplicas: 3 } };
  prepareCreate(rs, { def: builtin("apps", "replicasets"), namespace: "default", nowMs: NOW });
  assert.deepEqual(rs.status, { replicas: 0 });
  const node: KubeObject = { metadata: { name: "n1" }, status: { capacity: { cpu: "4" } } };
  prepareCreate(node, { def: builtin("", "nodes"), namespace: "", nowMs: NOW });
  // Kept (and defaulted: allocatable from capacity, as SetDefaults_NodeStatus).
  assert.deepEqual(node.status, { capacity: { cpu: "4" }, allocatable: { cpu: "4" } });
  const cm: KubeObject = { metadata: { name: "c" }, data: {} };
  prepareCreate(cm, { def: builtin("", "configmaps"), namespace: "default", nowMs: NOW });
  assert.equal(cm.status, undefined, "kinds without status get none");
});
