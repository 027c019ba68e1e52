import assert from "node:assert/strict";
import {
  ConfigMapKeySelector,
  LocalObjectReference,
  NodeSelector,
  NodeSelectorTerm,
  ObjectReference,
  ResourceRequirements,
  SecretReference,
  Taint,
  Toleration,
  TypedLocalObjectReference,
  TypedObjectReference,
} from "./core_v1_common.ts";
import type { Field } from "./schema.ts";

Deno.test("core/v1 reference types carry upstream names, field numbers and map types", async (t) => {
  const cases: {
    name: string;
    schema: { name: string; mapType?: string; fields: Record<string, Field> };
    def: string;
    atomic: boolean;
    protos: Record<string, number>;
    required: string[];
  }[] = [
    {
      name: "ObjectReference",
      schema: ObjectReference,
      def: "io.k8s.api.core.v1.ObjectReference",
      atomic: true,
      protos: { kind: 1, namespace: 2, name: 3, uid: 4, apiVersion: 5, fieldPath: 7 },
      required: [],
    },
    {
      name: "LocalObjectReference",
      schema: LocalObjectReference,
      def: "io.k8s.api.core.v1.LocalObjectReference",
      atomic: true,
      protos: { name: 1 },
      required: [],
    },
    {
      name: "TypedLocalObjectReference",
      schema: TypedLocalObjectReference,
      def: "io.k8s.api.core.v1.TypedLocalObjectReference",
      atomic: true,
      protos: { apiGroup: 1, kind: 2, name: 3 },
      required: ["kind", "name"],
    },
    {
      name: "TypedObjectReference",
      schema: TypedObjectReference,
      def: "io.k8s.api.core.v1.TypedObjectReference",
      atomic: false,
      protos: { apiGroup: 1, kind: 2, name: 3, namespace: 4 },
      required: ["kind", "name"],
    },
    {
      name: "SecretReference",
      schema: SecretReference,
      def: "io.k8s.api.core.v1.SecretReference",
      atomic: true,
      protos: { name: 1, namespace: 2 },
      required: [],
    },
    {
      name: "Taint",
      schema: Taint,
      def: "io.k8s.api.core.v1.Taint",
      atomic: false,
      protos: { key: 1, value: 2, effect: 3, timeAdded: 4 },
      required: ["key", "effect"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(c.schema.name, c.def);
      assert.equal(c.schema.mapType === "atomic", c.atomic);
      for (const [f, n] of Object.entries(c.protos)) assert.equal(c.schema.fields[f]?.proto, n, f);
      const required = Object.entries(c.schema.fields).filter(([, f]) => f.required).map(([k]) =>
        k
      );
      assert.deepEqual(required, c.required);
    });
  }
});

Deno.test("NodeSelector terms are atomic lists", () => {
  assert.equal(NodeSelector.fields.nodeSelectorTerms.required, true);
  assert.equal(NodeSelector.fields.nodeSelectorTerms.schema.listType, "atomic");
  assert.equal(NodeSelectorTerm.fields.matchExpressions.schema.listType, "atomic");
  assert.equal(NodeSelectorTerm.mapType, "atomic");
});

Deno.test("Toleration leaves operator and effect open, Taint enumerates effects", () => {
  // An empty operator means Equal and an empty effect all effects: the strategy checks them.
  assert.equal(Toleration.fields.operator.schema.enum, undefined);
  assert.equal(Toleration.fields.effect.schema.enum, undefined);
  assert.deepEqual(Taint.fields.effect.schema.enum, [
    "NoSchedule",
    "PreferNoSchedule",
    "NoExecute",
  ]);
  assert.equal(Toleration.fields.tolerationSeconds.schema.format, "int64");
});

Deno.test("ResourceRequirements holds quantity maps and a claims map-list", () => {
  assert.equal(ResourceRequirements.fields.limits.schema.values.type, "quantity");
  assert.equal(ResourceRequirements.fields.claims.schema.listType, "map");
  assert.deepEqual(ResourceRequirements.fields.claims.schema.listMapKeys, ["name"]);
});

Deno.test("ConfigMapKeySelector inlines the referenced name without a field number", () => {
  assert.equal(ConfigMapKeySelector.fields.name.proto, undefined);
  assert.equal(ConfigMapKeySelector.fields.key.proto, 2);
  assert.equal(ConfigMapKeySelector.fields.key.required, true);
});
