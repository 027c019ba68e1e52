import assert from "node:assert/strict";
import type { Transport } from "../client/transport.ts";
import { startControllerApi } from "../../tests/_support/controller_api.ts";
import {
  discoverPreferredNamespacedResources,
  discoverServerResources,
  filterByVerbs,
  formatGroupVersionResource,
  GroupDiscoveryFailedError,
  groupVersionResources,
  preferredResources,
} from "./_api_discovery.ts";

function scripted(docs: Record<string, unknown>): Transport {
  return {
    request(_method, path) {
      const doc = docs[path];
      if (doc === undefined) {
        return Promise.resolve(Response.json({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: "the server could not find the requested resource",
          reason: "NotFound",
          code: 404,
        }, { status: 404 }));
      }
      return Promise.resolve(Response.json(doc));
    },
  };
}

function resource(name: string, verbs: string[], namespaced = true) {
  return { name, namespaced, kind: name, verbs };
}

const ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

Deno.test("discoverPreferredNamespacedResources() finds the API server's namespaced resources", async () => {
  await using api = await startControllerApi();
  const { lists, error } = await discoverPreferredNamespacedResources(api.transport);
  assert.equal(error, null);
  const names = lists.flatMap((l) => l.resources.map((r) => `${l.groupVersion} ${r.name}`));
  for (const want of ["v1 pods", "v1 configmaps", "apps/v1 deployments", "batch/v1 jobs"]) {
    assert.ok(names.includes(want), want);
  }
  assert.ok(!names.includes("v1 namespaces"), "cluster-scoped resources are left out");
  assert.ok(!names.some((n) => n.includes("/status")), "subresources are left out");
});

Deno.test("discoverPreferredNamespacedResources() takes each resource from its group's preferred version", async () => {
  const transport = scripted({
    "/api": { kind: "APIVersions", versions: ["v1"] },
    "/apis": {
      kind: "APIGroupList",
      groups: [{
        name: "autoscaling",
        versions: [{ groupVersion: "autoscaling/v1", version: "v1" }, {
          groupVersion: "autoscaling/v2",
          version: "v2",
        }],
        preferredVersion: { groupVersion: "autoscaling/v2", version: "v2" },
      }],
    },
    "/api/v1": { groupVersion: "v1", resources: [resource("pods", ALL)] },
    "/apis/autoscaling/v1": {
      groupVersion: "autoscaling/v1",
      resources: [
        resource("horizontalpodautoscalers", ALL),
        resource("horizontalpodautoscalers/status", ["get"]),
        resource("legacyscalers", ALL),
      ],
    },
    "/apis/autoscaling/v2": {
      groupVersion: "autoscaling/v2",
      resources: [resource("horizontalpodautoscalers", ALL)],
    },
  });
  const { lists, error } = await discoverPreferredNamespacedResources(transport);
  assert.equal(error, null);
  const byGv = Object.fromEntries(
    lists.map((l) => [l.groupVersion, l.resources.map((r) => r.name)]),
  );
  assert.deepEqual(byGv, {
    "v1": ["pods"],
    "autoscaling/v1": ["legacyscalers"],
    "autoscaling/v2": ["horizontalpodautoscalers"],
  });
});

Deno.test("discoverPreferredNamespacedResources() reports failing group-versions and keeps the rest", async () => {
  const transport = scripted({
    "/api": { kind: "APIVersions", versions: ["v1"] },
    "/apis": {
      kind: "APIGroupList",
      groups: [{
        name: "metrics.k8s.io",
        versions: [{ groupVersion: "metrics.k8s.io/v1beta1", version: "v1beta1" }],
      }],
    },
    "/api/v1": { groupVersion: "v1", resources: [resource("pods", ALL)] },
  });
  const { lists, error } = await discoverPreferredNamespacedResources(transport);
  assert.deepEqual(lists.map((l) => l.groupVersion), ["v1"]);
  assert.ok(error instanceof GroupDiscoveryFailedError);
  assert.equal(error.groups.size, 1);
  assert.equal(
    error.message,
    "unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the server could not find the requested resource",
  );
});

Deno.test("discoverPreferredNamespacedResources() answers no lists when the group lists fail", async () => {
  const { lists, error } = await discoverPreferredNamespacedResources(scripted({}));
  assert.deepEqual(lists, []);
  assert.equal(error?.message, "the server could not find the requested resource");
});

Deno.test("filterByVerbs() keeps resources serving every verb and drops empty lists", () => {
  const lists = [
    { groupVersion: "v1", resources: [resource("pods", ALL), resource("bindings", ["create"])] },
    { groupVersion: "x/v1", resources: [resource("reviews", ["create"])] },
  ];
  assert.deepEqual(filterByVerbs(lists, ["delete"]), [
    { groupVersion: "v1", resources: [resource("pods", ALL)] },
  ]);
});

Deno.test("groupVersionResources() parses group-versions and reports the unparsable one", async (t) => {
  await t.step("core and named groups", () => {
    const { resources, error } = groupVersionResources([
      { groupVersion: "v1", resources: [resource("pods", ALL)] },
      { groupVersion: "apps/v1", resources: [resource("deployments", ALL)] },
    ]);
    assert.equal(error, null);
    assert.deepEqual(
      resources.map((r) => [r.group, r.version, r.resource]),
      [["", "v1", "pods"], ["apps", "v1", "deployments"]],
    );
  });
  await t.step("a bad group-version", () => {
    const { resources, error } = groupVersionResources([
      { groupVersion: "a/b/c", resources: [resource("things", ALL)] },
    ]);
    assert.deepEqual(resources, []);
    assert.equal(error?.message, "unexpected GroupVersion string: a/b/c");
  });
});

Deno.test("formatGroupVersionResource() prints as Go's GroupVersionResource", async (t) => {
  const cases = [
    {
      gvr: { group: "", version: "v1", resource: "pods", kind: "Pod" },
      want: "/v1, Resource=pods",
    },
    {
      gvr: { group: "apps", version: "v1", resource: "deployments", kind: "Deployment" },
      want: "apps/v1, Resource=deployments",
    },
  ];
  for (const c of cases) {
    await t.step(c.want, () => assert.equal(formatGroupVersionResource(c.gvr), c.want));
  }
});

Deno.test("discoverServerResources() finds every version and both scopes", async () => {
  const transport = scripted({
    "/api": { kind: "APIVersions", versions: ["v1"] },
    "/apis": {
      kind: "APIGroupList",
      groups: [{
        name: "autoscaling",
        versions: [
          { groupVersion: "autoscaling/v2", version: "v2" },
          { groupVersion: "autoscaling/v1", version: "v1" },
          { groupVersion: "autoscaling/v9", version: "v9" },
        ],
        preferredVersion: { groupVersion: "autoscaling/v2", version: "v2" },
      }],
    },
    "/api/v1": {
      resources: [
        resource("pods", ALL),
        resource("pods/status", ["get"]),
        resource("nodes", ALL, false),
      ],
    },
    "/apis/autoscaling/v1": { resources: [resource("horizontalpodautoscalers", ALL)] },
    "/apis/autoscaling/v2": { resources: [resource("horizontalpodautoscalers", ALL)] },
  });
  const { groups, error } = await discoverServerResources(transport);
  assert.ok(error instanceof GroupDiscoveryFailedError);
  assert.deepEqual([...error.groups.keys()], ["autoscaling/v9"]);
  assert.deepEqual(
    groups.map((g) => [g.name, g.preferredVersion, g.versions.map((v) => v.groupVersion)]),
    [
      ["", "v1", ["v1"]],
      ["autoscaling", "v2", ["autoscaling/v2", "autoscaling/v1"]],
    ],
  );
  assert.deepEqual(groups[0]!.versions[0]!.resources.map((r) => r.name), [
    "pods",
    "pods/status",
    "nodes",
  ]);
  const preferred = preferredResources(groups);
  assert.deepEqual(
    preferred.map((l) => [l.groupVersion, l.resources.map((r) => r.name)]),
    [["v1", ["pods", "nodes"]], ["autoscaling/v2", ["horizontalpodautoscalers"]]],
  );
});

Deno.test("discoverServerResources() reports a server whose group lists cannot be read", async () => {
  const { groups, error } = await discoverServerResources(scripted({}));
  assert.deepEqual(groups, []);
  assert.match(error?.message ?? "", /could not find the requested resource/);
});
