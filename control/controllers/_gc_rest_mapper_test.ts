import assert from "node:assert/strict";
import type { DiscoveredGroup } from "./_api_discovery.ts";
import { deletableResources, RestMapper, RestMappingError } from "./_gc_rest_mapper.ts";

const ALL = ["create", "delete", "get", "list", "patch", "update", "watch"];

function r(name: string, kind: string, namespaced = true, verbs = ALL) {
  return { name, kind, namespaced, verbs };
}

const GROUPS: DiscoveredGroup[] = [
  {
    name: "",
    preferredVersion: "v1",
    versions: [{
      groupVersion: "v1",
      version: "v1",
      resources: [
        r("pods", "Pod"),
        r("pods/status", "Pod"),
        r("nodes", "Node", false),
        r("events", "Event"),
        r("bindings", "Binding", true, ["create"]),
        r("componentstatuses", "ComponentStatus", false, ["get", "list"]),
      ],
    }],
  },
  {
    name: "apps",
    preferredVersion: "v1",
    versions: [
      { groupVersion: "apps/v1", version: "v1", resources: [r("replicasets", "ReplicaSet")] },
      {
        groupVersion: "apps/v1beta2",
        version: "v1beta2",
        resources: [r("replicasets", "ReplicaSet"), r("legacythings", "LegacyThing")],
      },
    ],
  },
  {
    name: "events.k8s.io",
    preferredVersion: "v1",
    versions: [{
      groupVersion: "events.k8s.io/v1",
      version: "v1",
      resources: [r("events", "Event")],
    }],
  },
];

Deno.test("RestMapper maps apiVersion and kind in every served version", () => {
  const mapper = new RestMapper(GROUPS);
  assert.deepEqual(mapper.resourceFor("apps/v1beta2", "ReplicaSet"), {
    group: "apps",
    version: "v1beta2",
    resource: "replicasets",
    kind: "ReplicaSet",
    namespaced: true,
  });
  assert.equal(mapper.resourceFor("v1", "Node").namespaced, false);
  assert.equal(mapper.resourceFor("v1", "Pod").resource, "pods", "not the status subresource");
  assert.equal(mapper.find("apps/v2", "ReplicaSet"), null);
  assert.throws(
    () => mapper.resourceFor("example.com/v1", "Widget"),
    (err: unknown) =>
      err instanceof RestMappingError &&
      err.message === "unable to get REST mapping for example.com/v1/Widget",
  );
});

Deno.test("RestMapper.merge() keeps the kinds of both, the newer winning", () => {
  const old = new RestMapper([GROUPS[1]!]);
  const fresh = new RestMapper([GROUPS[0]!]);
  const merged = fresh.merge(old);
  assert.ok(merged.find("v1", "Pod"));
  assert.ok(merged.find("apps/v1", "ReplicaSet"));
  assert.equal(merged.size, fresh.size + old.size);
});

Deno.test("deletableResources() watches preferred versions that can be listed, watched and deleted", () => {
  const names = deletableResources(GROUPS).map((x) =>
    `${x.group === "" ? "" : x.group + "/"}${x.version}/${x.resource}${
      x.namespaced ? "" : " (cluster)"
    }`
  );
  assert.deepEqual(names, [
    "v1/nodes (cluster)",
    "v1/pods",
    "apps/v1beta2/legacythings",
    "apps/v1/replicasets",
  ]);
});

Deno.test("deletableResources() leaves the ignored resources out", () => {
  const all = deletableResources(GROUPS, []).map((x) => `${x.group}/${x.resource}`);
  assert.ok(all.includes("/events") && all.includes("events.k8s.io/events"));
  const some = deletableResources(GROUPS).map((x) => `${x.group}/${x.resource}`);
  assert.ok(!some.includes("/events") && !some.includes("events.k8s.io/events"));
});
