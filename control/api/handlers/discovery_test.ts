import assert from "node:assert/strict";
import { createTestApp } from "../_test_app.ts";
import { ApiError } from "../errors.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import { ResourceRegistry } from "../registry/resource_registry.ts";
import { object } from "../types/schema.ts";
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  DiscoveryHandler,
} from "./discovery.ts";

const V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
/** What kubectl 1.27–1.29 and 1.30–1.33 send on /api and /apis. */
const KUBECTL_127 = `${V2BETA1},application/json`;
const KUBECTL_130 = `${V2},${V2BETA1},application/json`;

const builtins = new ResourceRegistry(BUILTIN_RESOURCES);

function widget(version: string): ResourceDef {
  return {
    group: "example.com",
    version,
    kind: "Widget",
    resource: "widgets",
    singular: "widget",
    namespaced: false,
    schema: object("x.Widget", { description: "", fields: {} }),
    strategy: {},
  };
}

function handler(registry: () => ResourceRegistry = () => builtins): DiscoveryHandler {
  return new DiscoveryHandler({ registry, serverAddress: () => "192.0.2.10:6443" });
}

async function get(h: DiscoveryHandler, path: string, headers: Record<string, string> = {}) {
  const res = await h.handle(path, new Headers(headers));
  assert.ok(res, `${path} is served`);
  return res;
}

Deno.test("apiVersions() is /api's APIVersions with the server address", () => {
  assert.deepEqual(apiVersions("192.0.2.10:6443"), {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "192.0.2.10:6443" }],
  });
});

Deno.test("apiGroupList() lists every group but the core one, preferred version first", () => {
  const registry = new ResourceRegistry([
    widget("v1beta1"),
    widget("v1"),
    ...BUILTIN_RESOURCES.slice(0, 2),
  ]);
  assert.deepEqual(apiGroupList(registry), {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [{
      name: "example.com",
      versions: [
        { groupVersion: "example.com/v1", version: "v1" },
        { groupVersion: "example.com/v1beta1", version: "v1beta1" },
      ],
      preferredVersion: { groupVersion: "example.com/v1", version: "v1" },
    }],
  });
  const apps = (apiGroupList(builtins) as { groups: { name: string }[] }).groups.map((g) => g.name);
  assert.equal(apps[0], "apps");
  assert.ok(!apps.includes(""));
});

Deno.test("apiGroup() is one group's APIGroup, or null", () => {
  assert.deepEqual(apiGroup(builtins, "apps"), {
    kind: "APIGroup",
    apiVersion: "v1",
    name: "apps",
    versions: [{ groupVersion: "apps/v1", version: "v1" }],
    preferredVersion: { groupVersion: "apps/v1", version: "v1" },
  });
  assert.equal(apiGroup(builtins, ""), null, "the core group is not under /apis");
  assert.equal(apiGroup(builtins, "nope.example.com"), null);
});

Deno.test("apiResourceList() lists resources and subresources as kubectl needs them", () => {
  const core = apiResourceList(builtins, "v1") as { resources: Record<string, unknown>[] };
  const byName = new Map(core.resources.map((r) => [r.name as string, r]));
  assert.deepEqual(byName.get("pods"), {
    name: "pods",
    singularName: "pod",
    namespaced: true,
    kind: "Pod",
    verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
    shortNames: ["po"],
    categories: ["all"],
  });
  // Subresources of another group carry that group and version (drain's CheckEvictionSupport).
  assert.deepEqual(byName.get("pods/eviction"), {
    name: "pods/eviction",
    singularName: "",
    namespaced: true,
    group: "policy",
    version: "v1",
    kind: "Eviction",
    verbs: ["create"],
  });
  assert.deepEqual(byName.get("pods/status"), {
    name: "pods/status",
    singularName: "",
    namespaced: true,
    kind: "Pod",
    verbs: ["get", "patch", "update"],
  });
  assert.deepEqual(byName.get("namespaces/finalize")?.verbs, ["update"]);
  // Subresources follow their resource, sorted by name.
  const names = [...byName.keys()];
  assert.deepEqual(names.slice(names.indexOf("pods"), names.indexOf("pods") + 9), [
    "pods",
    "pods/attach",
    "pods/binding",
    "pods/eviction",
    "pods/exec",
    "pods/log",
    "pods/portforward",
    "pods/proxy",
    "pods/status",
  ]);
  assert.deepEqual(byName.get("services/proxy"), {
    name: "services/proxy",
    singularName: "",
    namespaced: true,
    kind: "ServiceProxyOptions",
    verbs: ["create", "delete", "get", "patch", "update"],
  });
  assert.deepEqual(byName.get("nodes/proxy"), {
    name: "nodes/proxy",
    singularName: "",
    namespaced: false,
    kind: "NodeProxyOptions",
    verbs: ["create", "delete", "get", "patch", "update"],
  });
  const apps = apiResourceList(builtins, "apps/v1") as {
    groupVersion: string;
    resources: Record<string, unknown>[];
  };
  assert.equal(apps.groupVersion, "apps/v1");
  assert.deepEqual(apps.resources.find((r) => r.name === "deployments/scale"), {
    name: "deployments/scale",
    singularName: "",
    namespaced: true,
    group: "autoscaling",
    version: "v1",
    kind: "Scale",
    verbs: ["get", "patch", "update"],
  });
  assert.equal(apiResourceList(builtins, "apps/v2"), null);
});

Deno.test("aggregatedDiscovery() is the APIGroupDiscoveryList kubectl reads", () => {
  const core = aggregatedDiscovery(builtins, { core: true, version: "v2" }) as {
    kind: string;
    apiVersion: string;
    metadata: object;
    items: {
      metadata: { name: string };
      versions: { version: string; freshness: string; resources: Record<string, unknown>[] }[];
    }[];
  };
  assert.equal(core.kind, "APIGroupDiscoveryList");
  assert.equal(core.apiVersion, "apidiscovery.k8s.io/v2");
  assert.deepEqual(core.metadata, {});
  assert.equal(core.items.length, 1);
  assert.deepEqual(core.items[0]!.metadata, { name: "" });
  const v1 = core.items[0]!.versions[0]!;
  assert.equal(v1.version, "v1");
  assert.equal(v1.freshness, "Current");
  assert.deepEqual(v1.resources.find((r) => r.resource === "pods"), {
    resource: "pods",
    responseKind: { group: "", version: "v1", kind: "Pod" },
    scope: "Namespaced",
    singularResource: "pod",
    verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
    shortNames: ["po"],
    categories: ["all"],
    subresources: [
      {
        subresource: "attach",
        responseKind: { group: "", version: "v1", kind: "PodAttachOptions" },
        verbs: ["create", "get"],
      },
      {
        subresource: "binding",
        responseKind: { group: "", version: "v1", kind: "Binding" },
        verbs: ["create"],
      },
      {
        subresource: "eviction",
        responseKind: { group: "policy", version: "v1", kind: "Eviction" },
        verbs: ["create"],
      },
      {
        subresource: "exec",
        responseKind: { group: "", version: "v1", kind: "PodExecOptions" },
        verbs: ["create", "get"],
      },
      {
        subresource: "log",
        responseKind: { group: "", version: "v1", kind: "Pod" },
        verbs: ["get"],
      },
      {
        subresource: "portforward",
        responseKind: { group: "", version: "v1", kind: "PodPortForwardOptions" },
        verbs: ["create", "get"],
      },
      {
        subresource: "proxy",
        responseKind: { group: "", version: "v1", kind: "PodProxyOptions" },
        verbs: ["create", "delete", "get", "patch", "update"],
      },
      {
        subresource: "status",
        responseKind: { group: "", version: "v1", kind: "Pod" },
        verbs: ["get", "patch", "update"],
      },
    ],
  });
  assert.deepEqual(v1.resources.find((r) => r.resource === "nodes")?.scope, "Cluster");
  const groups = aggregatedDiscovery(builtins, { core: false, version: "v2beta1" }) as {
    apiVersion: string;
    items: { metadata: { name: string }; versions: { resources: Record<string, unknown>[] }[] }[];
  };
  assert.equal(groups.apiVersion, "apidiscovery.k8s.io/v2beta1");
  assert.ok(groups.items.every((g) => g.metadata.name !== ""));
  const deployments = groups.items.find((g) => g.metadata.name === "apps")!.versions[0]!.resources
    .find((r) => r.resource === "deployments")!;
  assert.deepEqual(deployments.subresources, [
    {
      subresource: "scale",
      responseKind: { group: "autoscaling", version: "v1", kind: "Scale" },
      verbs: ["get", "patch", "update"],
    },
    {
      subresource: "status",
      responseKind: { group: "apps", version: "v1", kind: "Deployment" },
      verbs: ["get", "patch", "update"],
    },
  ]);
});

Deno.test("aggregatedDiscovery() lists a group's versions preferred first", () => {
  const registry = new ResourceRegistry([widget("v1alpha1"), widget("v1"), widget("v2beta1")]);
  const doc = aggregatedDiscovery(registry, { core: false, version: "v2" }) as {
    items: { versions: { version: string }[] }[];
  };
  assert.deepEqual(doc.items[0]!.versions.map((v) => v.version), ["v1", "v2beta1", "v1alpha1"]);
});

Deno.test("DiscoveryHandler.handle() negotiates aggregated discovery exactly", async (t) => {
  const h = handler();
  const cases: [string, string | undefined, string][] = [
    ["kubectl 1.30+", KUBECTL_130, V2],
    ["kubectl 1.27-1.29", KUBECTL_127, V2BETA1],
    ["plain JSON", "application/json", "application/json"],
    ["no Accept", undefined, "application/json"],
    ["*/*", "*/*", "application/json"],
    // A v2 range for another kind is not aggregated discovery: legacy.
    [
      "other as",
      "application/json;g=apidiscovery.k8s.io;v=v2;as=Other,application/json",
      "application/json",
    ],
  ];
  for (const [name, accept, contentType] of cases) {
    await t.step(name, async () => {
      for (const path of ["/api", "/apis"]) {
        const res = await get(h, path, accept === undefined ? {} : { accept });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), contentType);
        const body = await res.json();
        if (contentType === "application/json") {
          assert.equal(body.kind, path === "/api" ? "APIVersions" : "APIGroupList");
        } else {
          assert.equal(body.kind, "APIGroupDiscoveryList");
          assert.equal(
            body.apiVersion,
            `apidiscovery.k8s.io/${contentType === V2 ? "v2" : "v2beta1"}`,
          );
        }
        assert.equal(res.headers.get("vary"), "Accept");
      }
    });
  }
  await t.step("nothing acceptable: 406", async () => {
    await assert.rejects(
      () => h.handle("/apis", new Headers({ accept: "application/yaml" })),
      (err) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, 406);
        assert.equal(err.reason, "NotAcceptable");
        return true;
      },
    );
  });
  await t.step("group-version documents are always legacy", async () => {
    const res = await get(h, "/apis/apps/v1", { accept: KUBECTL_130 });
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.equal((await res.json()).kind, "APIResourceList");
  });
});

Deno.test("DiscoveryHandler.handle() sends an ETag and answers 304 on If-None-Match", async () => {
  const h = handler();
  for (
    const [path, accept] of [["/apis", V2], ["/api", V2BETA1], ["/api/v1", "application/json"], [
      "/apis/apps",
      "application/json",
    ]]
  ) {
    const res = await get(h, path!, { accept: accept! });
    const etag = res.headers.get("etag");
    assert.match(etag ?? "", /^"[0-9A-F]+"$/, String(path));
    assert.equal(
      res.headers.get("cache-control"),
      path === "/apis" || path === "/api" ? "public" : "no-cache, private",
    );
    await res.body?.cancel();
    const again = await get(h, path!, { accept: accept!, "if-none-match": etag! });
    assert.equal(again.status, 304, String(path));
    assert.equal(again.headers.get("etag"), etag);
    assert.equal(await again.text(), "");
    const stale = await get(h, path!, { accept: accept!, "if-none-match": '"0"' });
    assert.equal(stale.status, 200);
    await stale.body?.cancel();
  }
  // v2 and v2beta1 are different documents with different tags.
  const v2 = (await get(h, "/apis", { accept: V2 })).headers.get("etag");
  const beta = (await get(h, "/apis", { accept: V2BETA1 })).headers.get("etag");
  assert.notEqual(v2, beta);
});

Deno.test("DiscoveryHandler rebuilds its documents when the registry changes", async () => {
  let registry = new ResourceRegistry([widget("v1")]);
  const h = handler(() => registry);
  const first = await get(h, "/apis/example.com/v1");
  const etag = first.headers.get("etag");
  assert.equal((await first.json()).resources.length, 1);
  registry = new ResourceRegistry([widget("v1"), {
    ...widget("v1"),
    kind: "Gadget",
    resource: "gadgets",
    singular: "gadget",
  }]);
  const second = await get(h, "/apis/example.com/v1");
  assert.notEqual(second.headers.get("etag"), etag);
  assert.equal((await second.json()).resources.length, 2);
});

Deno.test("DiscoveryHandler.handle() answers null for what it does not serve", async () => {
  const h = handler();
  for (
    const path of [
      "/apis/nope.example.com",
      "/apis/apps/v2",
      "/api/v2",
      "/apis/apps/v1/deployments",
      "/openapi",
    ]
  ) {
    assert.equal(await h.handle(path, new Headers()), null, path);
  }
});

Deno.test("GET /api, /apis and group documents through the app; other methods are refused", async () => {
  await using t = await createTestApp();
  const api = await t.json("GET", "/api");
  assert.deepEqual(api.body, apiVersions("192.0.2.10:6443"));
  const apis = await t.json("GET", "/apis", { accept: KUBECTL_130 });
  assert.equal(apis.headers.get("content-type"), V2);
  assert.equal((await t.json("GET", "/apis/nope.example.com")).status, 404);
  const post = await t.json("POST", "/apis", { body: {} });
  assert.equal(post.status, 405);
  assert.equal(post.body.reason, "MethodNotAllowed");
});
