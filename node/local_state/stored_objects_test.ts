import assert from "node:assert/strict";
import { storedConfigMap, storedPod, storedSecret, tokenKey } from "./stored_objects.ts";

Deno.test("storedPod() keeps metadata and spec, drops resourceVersion, managedFields and a non-terminal status", () => {
  const pod = {
    metadata: {
      name: "web",
      namespace: "default",
      uid: "u1",
      resourceVersion: "9",
      labels: { app: "web" },
      managedFields: [{ manager: "kubelet", operation: "Update" as const }],
    },
    spec: { containers: [{ name: "app", image: "busybox" }] },
    status: { phase: "Running" as const, podIP: "10.42.0.3" },
  };
  assert.deepEqual(storedPod(pod), {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", uid: "u1", labels: { app: "web" } },
    spec: { containers: [{ name: "app", image: "busybox" }] },
  });
});

Deno.test("storedPod() keeps a terminal phase", async (t) => {
  for (const phase of ["Succeeded", "Failed"] as const) {
    await t.step(phase, () => {
      const stored = storedPod({ metadata: { uid: "u" }, status: { phase, podIP: "10.0.0.1" } });
      assert.deepEqual(stored.status, { phase });
    });
  }
});

Deno.test("storedPod() does not share objects with its input", () => {
  const pod = { metadata: { uid: "u", labels: { a: "1" } }, spec: { containers: [] } };
  const stored = storedPod(pod);
  pod.metadata.labels.a = "2";
  assert.equal(stored.metadata?.labels?.a, "1");
});

Deno.test("storedSecret() drops stringData and storedConfigMap() keeps data and binaryData", () => {
  assert.deepEqual(
    storedSecret({
      metadata: { name: "s", namespace: "ns", resourceVersion: "3" },
      type: "Opaque",
      data: { k: "dg==" },
      stringData: { k: "v" },
    }),
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "ns" },
      type: "Opaque",
      data: { k: "dg==" },
    },
  );
  assert.deepEqual(
    storedConfigMap({
      metadata: { name: "c", namespace: "ns", resourceVersion: "3" },
      data: { a: "1" },
      binaryData: { b: "AA==" },
      immutable: true,
    }),
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: "ns" },
      data: { a: "1" },
      binaryData: { b: "AA==" },
      immutable: true,
    },
  );
});

Deno.test("tokenKey() tells tokens apart by audiences, expiration and bound pod", () => {
  const base = { namespace: "ns", name: "sa", spec: { expirationSeconds: 3600 } };
  const keys = new Set([
    tokenKey(base),
    tokenKey({ ...base, spec: { expirationSeconds: 7200 } }),
    tokenKey({ ...base, spec: { expirationSeconds: 3600, audiences: ["vault"] } }),
    tokenKey({
      ...base,
      spec: { expirationSeconds: 3600, boundObjectRef: { kind: "Pod", name: "p", uid: "u1" } },
    }),
    tokenKey({ ...base, name: "other" }),
  ]);
  assert.equal(keys.size, 5);
  assert.equal(tokenKey(base), tokenKey({ ...base, spec: { expirationSeconds: 3600 } }));
});
