import assert from "node:assert/strict";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import { listPrefix, objectKey, storagePrefixOf } from "./storage_keys.ts";

function builtin(group: string, resource: string): ResourceDef {
  const def = BUILTIN_RESOURCES.find((d) => d.group === group && d.resource === resource);
  assert.ok(def, `${group}/${resource} is served`);
  return def;
}

Deno.test("storagePrefixOf() lays built-in kinds out as kube-apiserver does in etcd", async (t) => {
  const cases: [string, string, string][] = [
    ["", "pods", "/registry/pods/"],
    ["", "namespaces", "/registry/namespaces/"],
    ["apps", "deployments", "/registry/deployments/"],
    ["rbac.authorization.k8s.io", "clusterroles", "/registry/clusterroles/"],
    // events.k8s.io Events are core Events in storage.
    ["events.k8s.io", "events", "/registry/events/"],
  ];
  for (const [group, resource, want] of cases) {
    await t.step(`${group || "core"}/${resource}`, () => {
      assert.equal(storagePrefixOf(builtin(group, resource)), want);
    });
  }
});

Deno.test("storagePrefixOf() puts custom resources under their group", () => {
  const def = { ...builtin("", "configmaps"), group: "example.com", resource: "widgets" };
  assert.equal(storagePrefixOf({ ...def, custom: true }), "/registry/example.com/widgets/");
});

Deno.test("objectKey() and listPrefix() place names under the namespace when namespaced", () => {
  const pods = { prefix: "/registry/pods/", namespaced: true };
  const nodes = { prefix: "/registry/nodes/", namespaced: false };
  assert.equal(
    objectKey(pods, { namespace: "default", name: "web-0" }),
    "/registry/pods/default/web-0",
  );
  assert.equal(objectKey(nodes, { namespace: "", name: "n1" }), "/registry/nodes/n1");
  // A cluster-scoped key never carries a namespace, even if one is passed.
  assert.equal(objectKey(nodes, { namespace: "default", name: "n1" }), "/registry/nodes/n1");
  assert.equal(listPrefix(pods, "default"), "/registry/pods/default/");
  assert.equal(listPrefix(pods, ""), "/registry/pods/", "all namespaces");
  assert.equal(listPrefix(nodes, "default"), "/registry/nodes/");
});

Deno.test("listPrefix() of one namespace does not cover a namespace it prefixes", () => {
  const pods = { prefix: "/registry/pods/", namespaced: true };
  const key = objectKey(pods, { namespace: "default-2", name: "a" });
  assert.equal(key.startsWith(listPrefix(pods, "default")), false);
  assert.equal(key.startsWith(listPrefix(pods, "default-2")), true);
});
