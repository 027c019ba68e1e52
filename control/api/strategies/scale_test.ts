import assert from "node:assert/strict";
import { scaleFromObject, validateScale } from "./scale.ts";

Deno.test("scaleFromObject() builds the Scale of a workload", async (t) => {
  await t.step("from spec.replicas, status.replicas and the selector", () => {
    const scale = scaleFromObject({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: {
        name: "db",
        namespace: "prod",
        uid: "u1",
        resourceVersion: "42",
        creationTimestamp: "2025-01-01T00:00:00Z",
        labels: { app: "db" },
      },
      spec: {
        replicas: 3,
        selector: {
          matchLabels: { app: "db" },
          matchExpressions: [
            { key: "tier", operator: "In", values: ["b", "a"] },
            { key: "legacy", operator: "DoesNotExist" },
            { key: "zone", operator: "Exists" },
            { key: "env", operator: "NotIn", values: ["dev"] },
          ],
        },
      },
      status: { replicas: 2 },
    });
    assert.deepEqual(scale, {
      apiVersion: "autoscaling/v1",
      kind: "Scale",
      metadata: {
        name: "db",
        namespace: "prod",
        uid: "u1",
        resourceVersion: "42",
        creationTimestamp: "2025-01-01T00:00:00Z",
      },
      spec: { replicas: 3 },
      status: {
        replicas: 2,
        selector: "app=db,env notin (dev),!legacy,tier in (a,b),zone",
      },
    });
  });
  await t.step("zero replicas and no status are left out as Go does", () => {
    const scale = scaleFromObject({ metadata: { name: "x" }, spec: { replicas: 0 } });
    assert.deepEqual(scale.spec, {});
    assert.deepEqual(scale.status, { replicas: 0 });
  });
});

Deno.test("validateScale() rejects negative replicas", () => {
  assert.deepEqual(validateScale({ spec: { replicas: 2 } }), []);
  assert.deepEqual(validateScale({ spec: { replicas: -1 } }).map(String), [
    "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
  ]);
});
