import assert from "node:assert/strict";
import { ApiError } from "../errors.ts";
import { Deployment } from "../types/apps_v1.ts";
import { ConfigMap } from "../types/core_v1_config.ts";
import type { KubeObject, ManagedFieldsEntry } from "../types/meta_v1.ts";
import { Widget } from "./_test_schemas.ts";
import { zeroObject } from "./_zero_object.ts";
import { compareValues } from "./compare.ts";
import {
  ANCIENT_CHANGES,
  BEFORE_FIRST_APPLY,
  FieldManager,
  ignoreManagedFieldsTimestamps,
  LAST_APPLIED_ANNOTATION,
} from "./field_manager.ts";
import { FieldSet } from "./field_set.ts";
import { fieldElement as f } from "./path_element.ts";
import { atomOf } from "./schema_atoms.ts";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const T1 = T0 + 60_000;

function deployments(subresource = ""): FieldManager {
  return new FieldManager({
    schema: Deployment,
    group: "apps",
    version: "v1",
    kind: "Deployment",
    subresource,
    statusSubresource: true,
  });
}

function deployment(spec: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", uid: "u1", ...meta },
    spec,
  };
}

function managed(o: KubeObject): ManagedFieldsEntry[] | undefined {
  return o.metadata?.managedFields as ManagedFieldsEntry[] | undefined;
}

function summary(o: KubeObject): string[] | undefined {
  return managed(o)?.map((e) =>
    `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ""}:${
      JSON.stringify(e.fieldsV1)
    }`
  );
}

const SPEC = {
  replicas: 2,
  selector: { matchLabels: { app: "web" } },
  template: {
    metadata: { labels: { app: "web" } },
    spec: { containers: [{ name: "nginx", image: "nginx" }] },
  },
};

Deno.test("FieldManager.update() of a create owns what a Go zero value lacks", () => {
  const obj = deployment(SPEC, { labels: { app: "web" } });
  obj.status = { replicas: 0 };
  deployments().update(null, obj, { manager: "kubectl-create", nowMs: T0 });
  assert.deepEqual(managed(obj), [{
    manager: "kubectl-create",
    operation: "Update",
    apiVersion: "apps/v1",
    time: "2025-01-01T00:00:00Z",
    fieldsType: "FieldsV1",
    fieldsV1: {
      "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
      "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
          "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
          "f:spec": {
            "f:containers": {
              'k:{"name":"nginx"}': { ".": {}, "f:image": {}, "f:name": {} },
            },
          },
        },
      },
    },
  }]);
});

Deno.test("FieldManager.update() of a create: the one-walk path equals the general comparison", async (t) => {
  const objects: Record<string, KubeObject> = {
    deployment: deployment(SPEC, { labels: { a: "b" }, finalizers: ["x", "y"] }),
    "an empty spec": deployment({}),
    "duplicate container names": deployment({
      template: { spec: { containers: [{ name: "a" }, { name: "a", image: "x" }] } },
    }),
    "an item without its key": deployment({ template: { spec: { containers: [{ image: "x" }] } } }),
    "a widget with every relationship": {
      metadata: { name: "w", annotations: { x: "1" } },
      spec: {
        replicas: 0,
        paused: false,
        selector: {},
        labels: {},
        flags: { a: "1" },
        nested: { n: { m: "1" } },
        tags: ["a"],
        args: [],
        items: [{ name: "i", ports: [{ port: 1 }] }],
        raw: { r: [1], s: { t: null } },
      },
    },
  };
  for (const [name, obj] of Object.entries(objects)) {
    await t.step(name, () => {
      const schema = name.startsWith("a widget") ? Widget : Deployment;
      const fm = new FieldManager({
        schema,
        group: schema === Widget ? "example.com" : "apps",
        version: "v1",
        kind: schema === Widget ? "Widget" : "Deployment",
        statusSubresource: true,
      });
      const copy = structuredClone(obj);
      fm.update(null, copy, { manager: "m", nowMs: T0 });
      const c = compareValues({ before: zeroObject(schema), after: obj }, atomOf(schema));
      const expected = c.added.union(c.modified).difference(FieldSet.of(
        [f("apiVersion")],
        [f("kind")],
        [f("metadata")],
        [f("metadata"), f("name")],
        [f("metadata"), f("namespace")],
        [f("metadata"), f("uid")],
      ));
      assert.deepEqual(managed(copy)?.[0]?.fieldsV1 ?? {}, expected.toFieldsV1());
    });
  }
});

Deno.test("FieldManager.update() merges a manager's updates and takes fields from others", () => {
  const fm = deployments();
  const v1 = deployment(SPEC);
  fm.update(null, v1, { manager: "kubectl-create", nowMs: T0 });
  const v2 = deployment({ ...SPEC, replicas: 3 }, { managedFields: managed(v1) });
  fm.update(v1, v2, { manager: "kubectl-edit", nowMs: T1 });
  assert.deepEqual(summary(v2), [
    'kubectl-create/Update:{"f:spec":{"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{}}}}}}}',
    'kubectl-edit/Update:{"f:spec":{"f:replicas":{}}}',
  ]);
  assert.equal(managed(v2)?.[1]?.time, "2025-01-01T00:01:00Z");
  // A write that changes nothing leaves the entries (and their times) alone.
  const v3 = structuredClone(v2);
  fm.update(v2, v3, { manager: "kubectl-edit", nowMs: T1 + 3_600_000 });
  assert.deepEqual(managed(v3), managed(v2));
});

Deno.test("FieldManager.update() takes, ignores or resets the managedFields a client sends", async (t) => {
  const fm = deployments();
  const live = deployment(SPEC);
  fm.update(null, live, { manager: "kubectl-create", nowMs: T0 });
  const entries = managed(live)!;
  await t.step("valid entries are taken (how a client edits them)", () => {
    const renamed = entries.map((e) => ({ ...e, manager: "renamed" }));
    const next = deployment(SPEC, { managedFields: renamed });
    fm.update(live, next, { manager: "x", nowMs: T1 });
    assert.deepEqual(managed(next)?.map((e) => e.manager), ["renamed"]);
  });
  await t.step("entries that do not decode are replaced by the stored ones", () => {
    const next = deployment(SPEC, { managedFields: [{ manager: "x", operation: "Patch" }] });
    fm.update(live, next, { manager: "x", nowMs: T1 });
    assert.deepEqual(managed(next), entries);
  });
  for (const reset of [[], [{}]]) {
    await t.step(
      `${JSON.stringify(reset)} resets them, and the object is no longer tracked`,
      () => {
        const next = deployment({ ...SPEC, replicas: 5 }, { managedFields: reset });
        fm.update(live, next, { manager: "x", nowMs: T1 });
        assert.equal(next.metadata?.managedFields, undefined);
        const later = deployment({ ...SPEC, replicas: 6 });
        fm.update(next, later, { manager: "y", nowMs: T1 });
        assert.equal(later.metadata?.managedFields, undefined);
      },
    );
  }
  await t.step("through a subresource they are ignored", () => {
    const status = deployments("status");
    const next = structuredClone(live);
    next.metadata!.managedFields = [];
    next.status = { replicas: 2 };
    status.update(live, next, { manager: "kcm", nowMs: T1 });
    assert.deepEqual(summary(next)?.slice(1), [
      'kcm/Update/status:{"f:status":{".":{},"f:replicas":{}}}',
    ]);
  });
});

Deno.test("FieldManager.update() through the status subresource owns no spec", () => {
  const fm = deployments("status");
  const live = deployment(SPEC);
  live.status = {};
  deployments().update(null, live, { manager: "creator", nowMs: T0 });
  const next = deployment({ ...SPEC, replicas: 9 }, { managedFields: managed(live) });
  next.status = { replicas: 1 };
  fm.update(live, next, { manager: "kcm", nowMs: T0 });
  assert.deepEqual(summary(next)?.[1], 'kcm/Update/status:{"f:status":{"f:replicas":{}}}');
  // The creator keeps spec.replicas: a status write takes none of the spec.
  assert.match(summary(next)![0]!, /"f:replicas"/);
});

Deno.test("FieldManager.update() keeps at most 10 Update entries, merging the oldest into ancient-changes", () => {
  const fm = new FieldManager({ schema: ConfigMap, group: "", version: "v1", kind: "ConfigMap" });
  let obj: KubeObject = { metadata: { name: "c", uid: "u" }, data: {} };
  fm.update(null, obj, { manager: "creator", nowMs: T0 });
  for (let i = 0; i < 11; i++) {
    const next: KubeObject = structuredClone(obj);
    (next.data as Record<string, string>)[`k${i}`] = "v";
    fm.update(obj, next, { manager: `m${i}`, nowMs: T0 + (i + 1) * 1000 });
    obj = next;
  }
  const names = managed(obj)!.map((e) => e.manager);
  assert.equal(names.length, 10);
  assert.equal(names[0], ANCIENT_CHANGES);
  assert.deepEqual(managed(obj)![0]!.fieldsV1, { "f:data": { ".": {}, "f:k0": {}, "f:k1": {} } });
});

Deno.test("FieldManager.apply() creates, updates, conflicts and forces", async (t) => {
  const fm = deployments();
  const config = (spec: Record<string, unknown>) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec,
  });
  const created = fm.apply(null, config(SPEC), { manager: "kubectl", force: false, nowMs: T0 });
  await t.step("a create owns the configuration as an Apply entry", () => {
    assert.deepEqual(summary(created), [
      'kubectl/Apply:{"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{}}}}}}}',
    ]);
    assert.equal(managed(created)![0]!.apiVersion, "apps/v1");
  });
  const live = { ...created, metadata: { ...created.metadata, uid: "u1" } };
  await t.step("a no-op apply changes nothing, not even the time", () => {
    const again = fm.apply(live, config(SPEC), { manager: "kubectl", force: false, nowMs: T1 });
    assert.deepEqual(again, live);
  });
  await t.step("another manager changing an owned field conflicts", () => {
    assert.throws(
      () => fm.apply(live, config({ replicas: 5 }), { manager: "helm", force: false, nowMs: T1 }),
      (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.code, 409);
        assert.equal(
          e.message,
          'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas',
        );
        return true;
      },
    );
  });
  await t.step("force takes the field", () => {
    const forced = fm.apply(live, config({ replicas: 5 }), {
      manager: "helm",
      force: true,
      nowMs: T1,
    });
    assert.equal((forced.spec as { replicas: number }).replicas, 5);
    assert.deepEqual(summary(forced)?.map((s) => s.split(":")[0]), ["kubectl/Apply", "helm/Apply"]);
    assert.equal(summary(forced)?.[1], 'helm/Apply:{"f:spec":{"f:replicas":{}}}');
  });
});

Deno.test("FieldManager.apply() refuses what upstream refuses", async (t) => {
  const fm = deployments();
  const cases: { name: string; config: Record<string, unknown>; code: number; message: string }[] =
    [
      {
        name: "another kind",
        config: { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "web" } },
        code: 400,
        message: "invalid object type: apps/v1, Kind=StatefulSet",
      },
      {
        name: "no apiVersion",
        config: { kind: "Deployment", metadata: { name: "web" } },
        code: 400,
        message: "invalid object type: /, Kind=Deployment",
      },
      {
        name: "managedFields in the configuration",
        config: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "web", managedFields: [] },
        },
        code: 400,
        message: "metadata.managedFields must be nil",
      },
      {
        name: "an unknown field",
        config: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "web", namespace: "default" },
          spec: { replicaz: 1 },
        },
        code: 500,
        message:
          "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.replicaz: field not declared in schema",
      },
    ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(
        () => fm.apply(null, c.config, { manager: "m", force: false, nowMs: T0 }),
        (e: unknown) => e instanceof ApiError && e.code === c.code && e.message === c.message,
      );
    });
  }
});

Deno.test("FieldManager.apply() to an object without managedFields records before-first-apply", () => {
  const fm = deployments();
  const live = deployment({ ...SPEC, paused: true });
  const out = fm.apply(live, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: { replicas: 2 },
  }, { manager: "m", force: false, nowMs: T0 }) as KubeObject;
  assert.deepEqual(managed(out)?.map((e) => `${e.manager}/${e.operation}`), [
    "m/Apply",
    `${BEFORE_FIRST_APPLY}/Update`,
  ]);
  // replicas has the same value: both own it, nothing conflicts.
  assert.equal((out.spec as { paused: boolean }).paused, true);
});

Deno.test("FieldManager.apply() by kubectl takes over from client-side apply", async (t) => {
  const fm = deployments();
  const manifest = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: SPEC,
  };
  const csa = deployment(SPEC, {
    annotations: { [LAST_APPLIED_ANNOTATION]: JSON.stringify(manifest) + "\n" },
  });
  fm.update(null, csa, { manager: "kubectl-client-side-apply", nowMs: T0 });
  const changed = { ...manifest, spec: { ...SPEC, replicas: 4 } };
  await t.step("another manager conflicts", () => {
    assert.throws(
      () => fm.apply(csa, changed, { manager: "helm", force: false, nowMs: T1 }),
      (e: unknown) => e instanceof ApiError && e.code === 409,
    );
  });
  await t.step("kubectl may change what it applied client-side, and the annotation follows", () => {
    const out = fm.apply(csa, changed, { manager: "kubectl", force: false, nowMs: T1 });
    assert.equal((out.spec as { replicas: number }).replicas, 4);
    const annotation = out.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
    assert.equal(
      annotation,
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},' +
        '"spec":{"replicas":4,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":' +
        '{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx","name":"nginx"}]}}}}\n',
    );
  });
  await t.step("but not what someone else changed since", () => {
    const scaled = structuredClone(csa);
    (scaled.spec as { replicas: number }).replicas = 7;
    fm.update(csa, scaled, { manager: "kubectl-scale", nowMs: T1 });
    assert.throws(
      () => fm.apply(scaled, changed, { manager: "kubectl", force: false, nowMs: T1 }),
      (e: unknown) =>
        e instanceof ApiError &&
        e.message ===
          'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas',
    );
  });
});

Deno.test("ignoreManagedFieldsTimestamps() reverts time-only changes of an unchanged object", () => {
  const old = deployment(SPEC, {
    managedFields: [{
      manager: "m",
      operation: "Apply",
      apiVersion: "apps/v1",
      time: "A",
      fieldsType: "FieldsV1",
      fieldsV1: {},
    }],
  });
  const same = structuredClone(old);
  same.metadata!.managedFields![0]!.time = "B";
  ignoreManagedFieldsTimestamps(same, old);
  assert.equal(same.metadata!.managedFields![0]!.time, "A");
  const changed = structuredClone(old);
  changed.metadata!.managedFields![0]!.time = "B";
  (changed.spec as { replicas: number }).replicas = 9;
  ignoreManagedFieldsTimestamps(changed, old);
  assert.equal(changed.metadata!.managedFields![0]!.time, "B");
});

Deno.test("FieldManager.update() of an unstructured (custom resource) create owns spec itself", () => {
  const fm = new FieldManager({
    schema: Widget,
    group: "example.com",
    version: "v1",
    kind: "Widget",
    unstructured: true,
  });
  const obj: KubeObject = {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w", labels: { a: "1" } },
    spec: { replicas: 1 },
  };
  fm.update(null, obj, { manager: "kubectl-create", nowMs: T0 });
  assert.deepEqual(managed(obj)?.[0]?.fieldsV1, {
    "f:metadata": { "f:labels": { ".": {}, "f:a": {} } },
    "f:spec": { ".": {}, "f:replicas": {} },
  });
});
