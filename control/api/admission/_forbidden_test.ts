import assert from "node:assert/strict";
import type { ResourceDef } from "../registry/resource_def.ts";
import { admissionForbidden, admittedName } from "./_forbidden.ts";
import type { AdmissionAttributes } from "./admission.ts";

function attrs(o: Partial<AdmissionAttributes>): AdmissionAttributes {
  return {
    operation: "CREATE",
    def: { group: "", resource: "pods" } as ResourceDef,
    namespace: "default",
    name: "",
    subresource: "",
    object: undefined,
    oldObject: undefined,
    dryRun: false,
    username: "u",
    groups: [],
    ...o,
  };
}

Deno.test("admittedName() names what upstream's extractResourceName names", async (t) => {
  const cases: [string, Partial<AdmissionAttributes>, string][] = [
    ["a DELETE: the request's name", { operation: "DELETE", name: "web" }, "web"],
    [
      "a subresource create: the parent's name, not the nameless TokenRequest",
      { name: "builder", subresource: "token", object: { metadata: {} } },
      "builder",
    ],
    [
      "an UPDATE: the request's name",
      { operation: "UPDATE", name: "web", object: { metadata: { name: "web" } } },
      "web",
    ],
    ["a create: the object's name", { object: { metadata: { name: "web" } } }, "web"],
    [
      "a create with generateName: the prefix",
      { object: { metadata: { generateName: "web-" } } },
      "web-",
    ],
    ["nothing named", { object: { metadata: {} } }, "Unknown"],
    ["no object and no name", {}, "Unknown"],
  ];
  for (const [name, a, want] of cases) {
    await t.step(name, () => assert.equal(admittedName(attrs(a)), want));
  }
});

Deno.test("admissionForbidden() answers 403 naming the request's object", () => {
  const err = admissionForbidden(
    attrs({ operation: "DELETE", name: "pod-b" }),
    'node "node-a" can only delete pods with spec.nodeName set to itself',
  );
  assert.equal(err.code, 403);
  assert.equal(
    err.message,
    'pods "pod-b" is forbidden: node "node-a" can only delete pods with spec.nodeName set to itself',
  );
});
