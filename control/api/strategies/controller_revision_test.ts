import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { controllerRevisionStrategy } from "./controller_revision.ts";

function revision(data: unknown, number = 1): KubeObject {
  return { metadata: { name: "web-7b9c" }, data, revision: number };
}

Deno.test("controllerRevisionStrategy.validate() requires data and a non-negative revision", async (t) => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    { name: "valid", obj: revision({ spec: {} }), want: [] },
    {
      name: "no data",
      obj: revision(undefined),
      want: ["data: Required value: data is mandatory"],
    },
    {
      name: "negative revision",
      obj: revision({}, -1),
      want: ["revision: Invalid value: -1: must be greater than or equal to 0"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(controllerRevisionStrategy.validate!(c.obj).map(String), c.want);
    });
  }
});

Deno.test("controllerRevisionStrategy.validateUpdate() keeps data immutable", () => {
  const old = revision({ a: 1 });
  assert.deepEqual(controllerRevisionStrategy.validateUpdate!(revision({ a: 1 }, 2), old), []);
  assert.deepEqual(controllerRevisionStrategy.validateUpdate!(revision({}), old).map(String), [
    'data: Invalid value: runtime.Unknown{TypeMeta:runtime.TypeMeta{APIVersion:"", Kind:""}, Raw:[]uint8{0x7b, 0x7d}, ContentEncoding:"", ContentType:"application/json"}: field is immutable',
  ]);
});
