import assert from "node:assert/strict";
import { requestInfo } from "./request_info.ts";

function info(method: string, path: string) {
  return requestInfo(method, new URL(`https://h${path}`));
}

Deno.test("requestInfo() reads resource requests as kube-apiserver does", async (t) => {
  const cases: [string, string, Record<string, unknown>][] = [
    ["GET", "/api/v1/pods", { verb: "list", resource: "pods", namespace: "", apiGroup: "" }],
    ["GET", "/api/v1/namespaces/default/pods", { verb: "list", namespace: "default" }],
    ["GET", "/api/v1/namespaces/default/pods?watch=true", { verb: "watch" }],
    ["GET", "/api/v1/namespaces/default/pods?watch=1", { verb: "watch" }],
    ["GET", "/api/v1/namespaces/default/pods?watch=false", { verb: "list" }],
    ["GET", "/api/v1/namespaces/default/pods/p1", { verb: "get", name: "p1" }],
    ["GET", "/api/v1/namespaces/default/pods/p1/log", { subresource: "log", name: "p1" }],
    ["POST", "/api/v1/namespaces/default/pods/p1/eviction", {
      verb: "create",
      subresource: "eviction",
    }],
    ["DELETE", "/api/v1/namespaces/default/pods", { verb: "deletecollection" }],
    ["DELETE", "/api/v1/namespaces/default/pods/p1", { verb: "delete" }],
    ["PUT", "/apis/apps/v1/namespaces/ns/deployments/web/scale", {
      verb: "update",
      apiGroup: "apps",
      apiVersion: "v1",
      resource: "deployments",
      subresource: "scale",
    }],
    ["PATCH", "/apis/apps/v1/namespaces/ns/deployments/web", { verb: "patch" }],
    ["GET", "/api/v1/namespaces", { verb: "list", resource: "namespaces", namespace: "" }],
    ["GET", "/api/v1/namespaces/kube-system", {
      verb: "get",
      resource: "namespaces",
      name: "kube-system",
      namespace: "kube-system",
    }],
    ["PUT", "/api/v1/namespaces/x/finalize", {
      resource: "namespaces",
      name: "x",
      subresource: "finalize",
    }],
    ["GET", "/api/v1/namespaces/x/status", { resource: "namespaces", subresource: "status" }],
    ["GET", "/api/v1/watch/namespaces/x/pods", { verb: "watch", resource: "pods", namespace: "x" }],
    ["GET", "/api/v1/nodes/n1", { verb: "get", resource: "nodes", name: "n1", namespace: "" }],
    ["GET", "/api/v1/namespaces/d/pods/p/proxy/a/b", { subresource: "proxy", rest: ["a", "b"] }],
    ["GET", "/api/v1/namespaces/d/configmaps/a%3Ab", { name: "a:b" }],
  ];
  for (const [method, path, want] of cases) {
    await t.step(`${method} ${path}`, () => {
      const got = info(method, path) as unknown as Record<string, unknown>;
      assert.equal(got.isResourceRequest, true);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, k);
    });
  }
});

Deno.test("requestInfo() treats discovery and other paths as non-resource", () => {
  for (
    const path of [
      "/api",
      "/api/v1",
      "/apis",
      "/apis/apps",
      "/apis/apps/v1",
      "/version",
      "/openapi/v3/apis/apps/v1",
    ]
  ) {
    const got = info("GET", path);
    assert.equal(got.isResourceRequest, false, path);
    assert.equal(got.verb, "get");
  }
});
