import assert from "node:assert/strict";
import type { PersistentVolumeClaim } from "../types/core_v1_storage.ts";
import {
  BETA_STORAGE_CLASS_ANNOTATION,
  normalizeDataSources,
  persistentVolumeClaimStrategy as strategy,
} from "./persistent_volume_claim.ts";

function pvc(
  spec: PersistentVolumeClaim["spec"],
  extra: Partial<PersistentVolumeClaim> = {},
): PersistentVolumeClaim {
  return { metadata: { name: "data", namespace: "default" }, ...extra, ...(spec ? { spec } : {}) };
}

function spec(storage = "1Gi"): NonNullable<PersistentVolumeClaim["spec"]> {
  return { accessModes: ["ReadWriteOnce"], resources: { requests: { storage } } };
}

Deno.test("persistentVolumeClaimStrategy starts claims Pending in Filesystem mode", () => {
  const obj = pvc(spec(), { status: { phase: "Bound" } });
  strategy.default!(obj);
  strategy.prepareForCreate!(obj);
  assert.equal(obj.spec?.volumeMode, "Filesystem");
  assert.deepEqual(obj.status, { phase: "Pending" });
  assert.deepEqual(strategy.validate!(obj), []);
});

Deno.test("persistentVolumeClaimStrategy.validate() needs access modes and a storage request", () => {
  const errs = strategy.validate!(pvc({ resources: {} }));
  assert.deepEqual(errs.map(String), [
    "spec.accessModes: Required value: at least 1 access mode is required",
    "spec.resources[storage]: Required value",
  ]);
  assert.deepEqual(strategy.validate!(pvc(spec("0"))).map(String), [
    'spec.resources[storage]: Invalid value: "0": must be greater than zero',
  ]);
});

Deno.test("normalizeDataSources() mirrors dataSource and dataSourceRef", () => {
  const a = spec();
  a.dataSource = { kind: "PersistentVolumeClaim", name: "src" };
  normalizeDataSources(a);
  assert.deepEqual(a.dataSourceRef, { kind: "PersistentVolumeClaim", name: "src" });
  const b = spec();
  b.dataSourceRef = {
    apiGroup: "snapshot.storage.k8s.io",
    kind: "VolumeSnapshot",
    name: "s",
    namespace: "x",
  };
  normalizeDataSources(b);
  assert.equal(b.dataSource, undefined);
});

Deno.test("persistentVolumeClaimStrategy.validateUpdate() keeps the spec immutable", async (t) => {
  const bound = { status: { phase: "Bound" as const, capacity: { storage: "1Gi" } } };
  const cases: [string, PersistentVolumeClaim, PersistentVolumeClaim, string[]][] = [
    ["bind once", pvc({ ...spec(), volumeName: "pv1" }), pvc(spec()), []],
    ["grow a bound claim", pvc(spec("2Gi"), bound), pvc(spec("1Gi"), bound), []],
    ["shrink to capacity", pvc(spec("1Gi"), bound), pvc(spec("2Gi"), bound), [
      "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity",
    ]],
    [
      "set a class on a claim without one",
      pvc({ ...spec(), storageClassName: "fast" }),
      pvc(spec()),
      [],
    ],
  ];
  for (const [name, obj, old, want] of cases) {
    await t.step(
      name,
      () => assert.deepEqual(strategy.validateUpdate!(obj, old).map(String), want),
    );
  }
  await t.step("change access modes", () => {
    const errs = strategy.validateUpdate!(
      pvc({ ...spec(), accessModes: ["ReadWriteMany"] }),
      pvc(spec()),
    ).map(String);
    assert.equal(errs.length, 1);
    assert.ok(errs[0]!.startsWith(
      "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n",
    ));
  });
  await t.step("grow an unbound claim", () => {
    assert.equal(strategy.validateUpdate!(pvc(spec("2Gi")), pvc(spec("1Gi"))).length, 1);
  });
  await t.step("change the beta class annotation", () => {
    const withClass = (c: string) =>
      pvc(spec(), { metadata: { name: "d", annotations: { [BETA_STORAGE_CLASS_ANNOTATION]: c } } });
    assert.deepEqual(strategy.validateUpdate!(withClass("b"), withClass("a")).map(String), [
      `metadata.annotations.${BETA_STORAGE_CLASS_ANNOTATION}: Invalid value: "b": field is immutable`,
    ]);
  });
});

Deno.test("persistentVolumeClaimStrategy.validateStatusUpdate() checks the reported resources", () => {
  const obj = pvc({}, {
    status: { capacity: { storage: "-1" }, allocatedResources: { cpu: "1" } },
  });
  assert.deepEqual(strategy.validateStatusUpdate!(obj, obj).map(String), [
    "resourceVersion: Required value",
    "Spec.accessModes: Required value",
    "status.capacity[storage]: Invalid value: -1: must be a valid resource quantity",
    'status.allocatedResources: Unsupported value: "cpu": supported values: "storage"',
  ]);
});
