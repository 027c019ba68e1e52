import assert from "node:assert/strict";
import { object } from "../types/schema.ts";
import { ALL_VERBS, groupVersion, type ResourceDef, verbsOf } from "./resource_def.ts";

const schema = object("x.Widget", { description: "", fields: {} });

function def(extra: Partial<ResourceDef> = {}): ResourceDef {
  return {
    group: "example.com",
    version: "v1",
    kind: "Widget",
    resource: "widgets",
    singular: "widget",
    namespaced: true,
    schema,
    strategy: {},
    ...extra,
  };
}

Deno.test("ALL_VERBS lists a full resource's verbs in discovery's (sorted) order", () => {
  assert.deepEqual(ALL_VERBS, [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
  ]);
  assert.deepEqual([...ALL_VERBS].sort(), ALL_VERBS);
});

Deno.test("groupVersion() leaves the core group out", () => {
  assert.equal(groupVersion({ group: "", version: "v1" }), "v1");
  assert.equal(groupVersion({ group: "apps", version: "v1" }), "apps/v1");
  assert.equal(groupVersion({ group: "batch", version: "v1beta1" }), "batch/v1beta1");
});

Deno.test("verbsOf() defaults to every verb and keeps a kind's own list", () => {
  assert.equal(verbsOf(def()), ALL_VERBS);
  assert.deepEqual(verbsOf(def({ verbs: ["create"] })), ["create"]);
});
