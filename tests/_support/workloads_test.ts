import assert from "node:assert/strict";
import { testDeployment, testReplicaSet } from "./workloads.ts";

Deno.test("testReplicaSet() and testDeployment() select their pods by app", async (t) => {
  await t.step("defaults", () => {
    assert.deepEqual(testReplicaSet("web", { replicas: 2 }), {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { namespace: "default", name: "web" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "main", image: "busybox" }] },
        },
      },
    });
  });
  await t.step("options", () => {
    const d = testDeployment("api", {
      replicas: 3,
      namespace: "gc",
      image: "nginx:1",
      labels: { tier: "front" },
      minReadySeconds: 1,
    });
    assert.equal(d.kind, "Deployment");
    assert.deepEqual(d.metadata, { namespace: "gc", name: "api" });
    assert.equal(d.spec?.minReadySeconds, 1);
    assert.deepEqual(d.spec?.selector, { matchLabels: { app: "api" } });
    assert.deepEqual(d.spec?.template.metadata?.labels, { app: "api", tier: "front" });
    assert.equal(d.spec?.template.spec?.containers[0]?.image, "nginx:1");
  });
});
