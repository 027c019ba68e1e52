import assert from "node:assert/strict";
import { requestKind } from "./_controllers_host.ts";

Deno.test("requestKind() names a request by verb, resource and subresource", async (t) => {
  const cases: [string, string, string][] = [
    ["POST", "/api/v1/namespaces/bench/pods", "POST pods"],
    ["DELETE", "/api/v1/namespaces/bench/pods/web-1", "DELETE pods"],
    ["PUT", "/api/v1/namespaces/bench/pods/web-1/status", "PUT pods/status"],
    ["PUT", "/apis/apps/v1/namespaces/bench/replicasets/web-abc/status", "PUT replicasets/status"],
    ["GET", "/apis/apps/v1/replicasets?limit=500", "GET replicasets"],
    ["GET", "/api/v1/pods?watch=true&resourceVersion=5", "GET pods (watch)"],
    ["GET", "/apis/apps/v1/replicasets?resourceVersion=5&watch=1", "GET replicasets (watch)"],
    ["GET", "/apis/apps/v1/replicasets?watchers=1", "GET replicasets"],
    ["PATCH", "/api/v1/nodes/n1", "PATCH nodes"],
    ["PUT", "/api/v1/nodes/n1/status", "PUT nodes/status"],
    ["GET", "/api/v1/namespaces", "GET namespaces"],
    ["GET", "/api/v1/namespaces/bench", "GET namespaces"],
  ];
  for (const [method, path, want] of cases) {
    await t.step(`${method} ${path}`, () => assert.equal(requestKind(method, path), want));
  }
});
