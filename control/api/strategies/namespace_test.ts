import assert from "node:assert/strict";
import type { Namespace } from "../types/core_v1_namespace.ts";
import { NAMESPACE_NAME_LABEL, namespaceFinalizeStrategy, namespaceStrategy } from "./namespace.ts";

function ns(obj: Partial<Namespace> = {}): Namespace {
  return { metadata: { name: "team-a" }, ...obj };
}

Deno.test("namespaceStrategy names are DNS-1123 labels", () => {
  assert.equal(namespaceStrategy.nameRule, "label");
});

Deno.test("namespaceStrategy.prepareForCreate() starts Active with the kubernetes finalizer", () => {
  const obj = ns({ status: { phase: "Terminating" } });
  namespaceStrategy.prepareForCreate!(obj);
  assert.deepEqual(obj.status, { phase: "Active" });
  assert.deepEqual(obj.spec?.finalizers, ["kubernetes"]);
  assert.equal(obj.metadata?.labels?.[NAMESPACE_NAME_LABEL], "team-a");
  const other = ns({ spec: { finalizers: ["example.com/keep"] } });
  namespaceStrategy.prepareForCreate!(other);
  assert.deepEqual(other.spec?.finalizers, ["example.com/keep", "kubernetes"]);
});

Deno.test("namespaceStrategy.prepareForUpdate() keeps spec.finalizers and status", () => {
  const old = ns({ spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } });
  const obj = ns({ spec: { finalizers: [] }, status: { phase: "Terminating" } });
  namespaceStrategy.prepareForUpdate!(obj, old);
  assert.deepEqual(obj.spec?.finalizers, ["kubernetes"]);
  assert.deepEqual(obj.status, { phase: "Active" });
});

Deno.test("namespaceStrategy.validate() checks finalizer names", async (t) => {
  const cases: [string, string[]][] = [
    ["kubernetes", []],
    ["example.com/cleanup", []],
    ["cleanup", [
      'spec.finalizers: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
    ]],
  ];
  for (const [finalizer, want] of cases) {
    await t.step(finalizer, () => {
      const errs = namespaceStrategy.validate!(ns({ spec: { finalizers: [finalizer] } }));
      assert.deepEqual(errs.map(String), want);
    });
  }
});

Deno.test("namespaceStrategy.validateStatusUpdate() ties the phase to deletionTimestamp", () => {
  const active = ns({ status: { phase: "Terminating" } });
  assert.deepEqual(namespaceStrategy.validateStatusUpdate!(active, ns()).map(String), [
    "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty",
  ]);
  const deleting = ns({
    metadata: { name: "team-a", deletionTimestamp: "2025-01-01T00:00:00Z" },
    status: { phase: "Active" },
  });
  assert.deepEqual(namespaceStrategy.validateStatusUpdate!(deleting, ns()).map(String), [
    "status.Phase: Invalid value: \"Active\": may only be 'Terminating' if `deletionTimestamp` is not empty",
  ]);
});

Deno.test("namespaceFinalizeStrategy keeps status and validates indexed finalizers", () => {
  const old = ns({ spec: { finalizers: ["kubernetes"] }, status: { phase: "Terminating" } });
  const obj = ns({ spec: { finalizers: ["kubernetes", "bad"] }, status: { phase: "Active" } });
  namespaceFinalizeStrategy.prepareForUpdate!(obj, old);
  assert.deepEqual(obj.status, { phase: "Terminating" });
  assert.deepEqual(namespaceFinalizeStrategy.validateUpdate!(obj, old).map(String), [
    'spec.finalizers[1]: Invalid value: "bad": name is neither a standard finalizer name nor is it fully qualified',
  ]);
});
