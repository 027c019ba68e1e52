import assert from "node:assert/strict";
import {
  ReplicationController,
  ReplicationControllerCondition,
  ReplicationControllerSpec,
  ReplicationControllerStatus,
} from "./core_v1_replication_controller.ts";
import type { Field, ObjectSchema } from "./schema.ts";

function protos(schema: ObjectSchema): Record<string, number | undefined> {
  return Object.fromEntries(
    Object.entries(schema.fields as Record<string, Field>).map(([k, f]) => [k, f.proto]),
  );
}

function requiredFields(schema: ObjectSchema): string[] {
  return Object.entries(schema.fields as Record<string, Field>).filter(([, f]) => f.required)
    .map(([k]) => k).sort();
}

Deno.test("ReplicationController is core/v1 with upstream's definition name", () => {
  assert.equal(ReplicationController.name, "io.k8s.api.core.v1.ReplicationController");
  assert.deepEqual(ReplicationController.gvk, [
    { group: "", version: "v1", kind: "ReplicationController" },
  ]);
  assert.deepEqual(Object.keys(ReplicationController.fields), [
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "status",
  ]);
  assert.deepEqual(protos(ReplicationController), {
    apiVersion: undefined,
    kind: undefined,
    metadata: 1,
    spec: 2,
    status: 3,
  });
});

Deno.test("ReplicationController spec, status and condition carry upstream field numbers", async (t) => {
  const cases: { schema: ObjectSchema; protos: Record<string, number>; required: string[] }[] = [
    {
      schema: ReplicationControllerSpec,
      protos: { replicas: 1, minReadySeconds: 4, selector: 2, template: 3 },
      required: [],
    },
    {
      schema: ReplicationControllerStatus,
      protos: {
        replicas: 1,
        fullyLabeledReplicas: 2,
        readyReplicas: 4,
        availableReplicas: 5,
        observedGeneration: 3,
        conditions: 6,
      },
      required: ["replicas"],
    },
    {
      schema: ReplicationControllerCondition,
      protos: { type: 1, status: 2, lastTransitionTime: 3, reason: 4, message: 5 },
      required: ["status", "type"],
    },
  ];
  for (const c of cases) {
    await t.step(c.schema.name, () => {
      assert.deepEqual(protos(c.schema), c.protos);
      assert.deepEqual(requiredFields(c.schema), c.required);
    });
  }
});

Deno.test("ReplicationController's selector is an atomic string map and replicas keeps a zero", () => {
  const { selector, replicas } = ReplicationControllerSpec.fields;
  assert.equal(selector.schema.type, "map");
  assert.equal(selector.schema.mapType, "atomic");
  assert.equal(selector.schema.values.type, "string");
  assert.equal(replicas.keepZero, true);
  assert.equal(replicas.schema.format, "int32");
});

Deno.test("ReplicationController conditions merge by type", () => {
  const f = ReplicationControllerStatus.fields.conditions;
  assert.equal(f.patchStrategy, "merge");
  assert.equal(f.patchMergeKey, "type");
  assert.equal(f.schema.listType, "map");
  assert.deepEqual(f.schema.listMapKeys, ["type"]);
});
