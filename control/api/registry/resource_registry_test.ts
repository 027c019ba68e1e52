import assert from "node:assert/strict";
import { object } from "../types/schema.ts";
import type { ResourceDef } from "./resource_def.ts";
import { ResourceRegistry } from "./resource_registry.ts";

const schema = object("x.Thing", { description: "", fields: {} });

function def(group: string, version: string, resource: string, kind = "Thing"): ResourceDef {
  return {
    group,
    version,
    kind,
    resource,
    singular: resource.replace(/s$/, ""),
    namespaced: true,
    schema,
    strategy: {},
  };
}

Deno.test("ResourceRegistry.get() finds a resource by group, version and plural", () => {
  const registry = new ResourceRegistry([
    def("", "v1", "configmaps", "ConfigMap"),
    def("apps", "v1", "deployments", "Deployment"),
  ]);
  assert.equal(registry.get("", "v1", "configmaps")?.kind, "ConfigMap");
  assert.equal(registry.get("apps", "v1", "deployments")?.kind, "Deployment");
  assert.equal(registry.get("apps", "v2", "deployments"), undefined);
  assert.equal(registry.get("", "v1", "deployments"), undefined);
  assert.equal(registry.get("apps", "v1"), undefined);
});

Deno.test("ResourceRegistry refuses a resource registered twice", () => {
  assert.throws(
    () =>
      new ResourceRegistry([def("apps", "v1", "deployments"), def("apps", "v1", "deployments")]),
    { name: "TypeError", message: 'Cannot register resource "apps/v1/deployments" twice' },
  );
});

Deno.test("ResourceRegistry.groups() orders groups as kube-apiserver and versions by preference", () => {
  const registry = new ResourceRegistry([
    def("zeta.example.com", "v1", "zs"),
    def("batch", "v1", "jobs"),
    def("alpha.example.com", "v1", "as"),
    def("apps", "v1", "deployments"),
    def("autoscaling", "v2beta2", "hpas"),
    def("autoscaling", "v1", "hpas"),
    def("autoscaling", "v2", "hpas"),
    def("autoscaling", "v3alpha1", "hpas"),
    def("autoscaling", "v2beta1", "hpas2"),
    def("", "v1", "pods"),
  ]);
  assert.deepEqual(registry.groups(), [
    { name: "", versions: ["v1"] },
    { name: "apps", versions: ["v1"] },
    // GA first (higher first), then beta (higher first), then alpha.
    { name: "autoscaling", versions: ["v2", "v1", "v2beta2", "v2beta1", "v3alpha1"] },
    { name: "batch", versions: ["v1"] },
    // Groups kube-apiserver does not serve come last, by name.
    { name: "alpha.example.com", versions: ["v1"] },
    { name: "zeta.example.com", versions: ["v1"] },
  ]);
});

Deno.test("ResourceRegistry.forGroupVersion() keeps registration order", () => {
  const a = def("apps", "v1", "statefulsets");
  const b = def("apps", "v1", "deployments");
  const c = def("", "v1", "pods");
  const registry = new ResourceRegistry([a, b, c]);
  assert.deepEqual(registry.forGroupVersion("apps/v1"), [a, b]);
  assert.deepEqual(registry.forGroupVersion("v1"), [c]);
  assert.deepEqual(registry.forGroupVersion("apps/v2"), []);
  assert.deepEqual(registry.all(), [a, b, c]);
});

Deno.test("ResourceRegistry.byKind() finds the resource serving a kind", () => {
  const registry = new ResourceRegistry([
    def("", "v1", "pods", "Pod"),
    def("events.k8s.io", "v1", "events", "Event"),
    def("", "v1", "events", "Event"),
  ]);
  assert.equal(registry.byKind("", "v1", "Event")?.group, "");
  assert.equal(registry.byKind("events.k8s.io", "v1", "Event")?.group, "events.k8s.io");
  assert.equal(registry.byKind("", "v1", "Node"), undefined);
});
