import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { viewProjection } from "./view_projections.ts";

const bookkeeping = {
  managedFields: [{ manager: "kubectl", operation: "Apply" }],
  annotations: {
    "kubectl.kubernetes.io/last-applied-configuration": "{...}",
    "example.com/keep": "yes",
  },
};

function project(prefix: string, obj: Record<string, unknown>): Record<string, unknown> {
  return viewProjection(prefix)(structuredClone(obj) as KubeObject) as Record<string, unknown>;
}

Deno.test("viewProjection() drops managedFields and last-applied from every kind", () => {
  const out = project("/registry/roles/", {
    metadata: { name: "r", namespace: "a", ...bookkeeping },
    rules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
  });
  assert.deepEqual(out, {
    metadata: { name: "r", namespace: "a", annotations: { "example.com/keep": "yes" } },
    rules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
  });
});

Deno.test("viewProjection() keeps Secret data only for the token kinds authentication reads", async (t) => {
  for (
    const [type, kept] of [
      ["bootstrap.kubernetes.io/token", true],
      ["skiff.io/node-credential", true],
      ["Opaque", false],
      ["helm.sh/release.v1", false],
      ["kubernetes.io/service-account-token", false],
    ] as const
  ) {
    await t.step(type, () => {
      const out = project("/registry/secrets/", {
        metadata: { name: "s", namespace: "kube-system", uid: "u1" },
        type,
        data: { key: "dmFsdWU=" },
      });
      assert.equal(out.type, type);
      assert.deepEqual((out.metadata as { uid: string }).uid, "u1");
      assert.deepEqual(out.data, kept ? { key: "dmFsdWU=" } : undefined);
    });
  }
});

Deno.test("viewProjection() keeps ConfigMap data only of kube-root-ca.crt", () => {
  const ca = project("/registry/configmaps/", {
    metadata: { name: "kube-root-ca.crt", namespace: "a" },
    data: { "ca.crt": "PEM" },
  });
  assert.deepEqual(ca.data, { "ca.crt": "PEM" });
  const other = project("/registry/configmaps/", {
    metadata: { name: "settings", namespace: "a" },
    data: { big: "x".repeat(1000) },
    binaryData: { blob: "AAAA" },
  });
  assert.deepEqual(other, { metadata: { name: "settings", namespace: "a" } });
});

Deno.test("viewProjection() keeps of a pod what the node graph, tokens and quota read", () => {
  const volumes = [
    { name: "s", secret: { secretName: "tls", defaultMode: 0o400 } },
    {
      name: "kube-api-access",
      projected: {
        sources: [
          { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
          { serviceAccountToken: { path: "vault", audience: "vault" } },
          { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
          { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "x" } }] } },
          { secret: { name: "extra", optional: true } },
        ],
      },
    },
    { name: "data", persistentVolumeClaim: { claimName: "data" } },
    { name: "cache", emptyDir: { medium: "Memory" } },
    { name: "settings", configMap: { name: "settings", items: [{ key: "a", path: "a" }] } },
  ];
  const out = project("/registry/pods/", {
    metadata: {
      name: "p",
      namespace: "a",
      uid: "u",
      labels: { app: "web" },
      ownerReferences: [{ kind: "ReplicaSet", name: "web", uid: "r", controller: true }],
      ...bookkeeping,
    },
    spec: {
      nodeName: "n1",
      serviceAccountName: "builder",
      priorityClassName: "high",
      priority: 1000,
      activeDeadlineSeconds: 60,
      imagePullSecrets: [{ name: "registry" }],
      volumes,
      hostNetwork: true,
      securityContext: { runAsUser: 1000 },
      tolerations: [{ key: "k", operator: "Exists" }],
      initContainers: [{ name: "init", image: "busybox", restartPolicy: "Always" }],
      containers: [{
        name: "c",
        image: "registry.local/app:1",
        command: ["/app"],
        ports: [{ containerPort: 8080 }],
        volumeMounts: [{ name: "s", mountPath: "/tls" }],
        env: [
          { name: "PLAIN", value: "x" },
          { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
        ],
        envFrom: [{ configMapRef: { name: "settings" } }],
        resources: { requests: { cpu: "1" } },
        livenessProbe: { httpGet: { port: 8080 } },
      }],
    },
    status: {
      phase: "Running",
      qosClass: "Burstable",
      podIP: "10.42.0.5",
      conditions: [{ type: "Ready", status: "True" }],
      containerStatuses: [{
        name: "c",
        ready: true,
        restartCount: 3,
        state: { running: { startedAt: "2026-01-01T00:00:00Z" } },
        resources: { requests: { cpu: "1" } },
        allocatedResources: { cpu: "1" },
      }],
    },
  });
  assert.deepEqual(out.metadata, {
    name: "p",
    namespace: "a",
    uid: "u",
    labels: { app: "web" },
    ownerReferences: [{ kind: "ReplicaSet", name: "web", uid: "r", controller: true }],
  });
  assert.deepEqual(out.spec, {
    nodeName: "n1",
    serviceAccountName: "builder",
    priorityClassName: "high",
    priority: 1000,
    activeDeadlineSeconds: 60,
    imagePullSecrets: [{ name: "registry" }],
    volumes: [
      { name: "s", secret: { secretName: "tls" } },
      {
        name: "kube-api-access",
        projected: {
          sources: [
            { serviceAccountToken: {} },
            { serviceAccountToken: { audience: "vault" } },
            { configMap: { name: "kube-root-ca.crt" } },
            { secret: { name: "extra" } },
          ],
        },
      },
      { name: "data", persistentVolumeClaim: { claimName: "data" } },
      { name: "cache" },
      { name: "settings", configMap: { name: "settings" } },
    ],
    initContainers: [{ name: "init", restartPolicy: "Always" }],
    containers: [{
      name: "c",
      env: [{ name: "PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }],
      envFrom: [{ configMapRef: { name: "settings" } }],
      resources: { requests: { cpu: "1" } },
    }],
  });
  assert.deepEqual(out.status, {
    phase: "Running",
    qosClass: "Burstable",
    containerStatuses: [{
      name: "c",
      resources: { requests: { cpu: "1" } },
      allocatedResources: { cpu: "1" },
    }],
  });
});

Deno.test("viewProjection() keeps a mirror pod's annotation, no other", () => {
  const out = project("/registry/pods/", {
    metadata: {
      name: "static-web-n1",
      annotations: { "kubernetes.io/config.mirror": "abc", "example.com/other": "x" },
    },
  });
  assert.deepEqual(out.metadata, {
    name: "static-web-n1",
    annotations: { "kubernetes.io/config.mirror": "abc" },
  });
});

Deno.test("viewProjection() shares equal values across the pods it projects, and never deletes", () => {
  const project = viewProjection("/registry/pods/");
  const pod = (name: string) =>
    structuredClone({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: "a",
        uid: `uid-${name}`,
        labels: { app: "web" },
        managedFields: [{ manager: "kubectl" }],
      },
      spec: {
        serviceAccountName: "default",
        volumes: [{
          name: `kube-api-access-${name}`,
          projected: { sources: [{ configMap: { name: "kube-root-ca.crt" } }] },
        }],
        containers: [{ name: "c", image: "app:1", resources: { requests: { cpu: "1" } } }],
      },
      status: { phase: "Pending", qosClass: "Burstable" },
    }) as unknown as KubeObject;
  type Projected = {
    metadata: { labels: unknown; uid: string };
    spec: { containers: unknown; volumes: { name: string; projected: unknown }[] };
    status: unknown;
  };
  const a = project(pod("a")) as unknown as Projected;
  const b = project(pod("b")) as unknown as Projected;
  assert.equal(a.metadata.labels, b.metadata.labels);
  assert.equal(a.spec.containers, b.spec.containers);
  assert.equal(a.spec.volumes[0]!.projected, b.spec.volumes[0]!.projected);
  assert.equal(a.status, b.status);
  assert.notEqual(a.spec.volumes[0], b.spec.volumes[0]);
  assert.equal(b.metadata.uid, "uid-b");
  assert.equal(b.spec.volumes[0]!.name, "kube-api-access-b");
  // Built afresh: a decoded object with properties deleted would be a slow dictionary.
  assert.equal("managedFields" in (b.metadata as object), false);
  assert.ok(Object.isFrozen(a.metadata.labels));
});
