import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Service, ServicePort } from "../api/types/core_v1_service.ts";
import {
  findPort,
  isPodReady,
  serviceKeysFor,
  serviceKeysForPodUpdate,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  TriggerTimeTracker,
} from "./_service_endpoints.ts";

function pod(overrides: {
  name?: string;
  labels?: Record<string, string>;
  ready?: boolean;
  readySince?: string;
  ip?: string;
  phase?: "Pending" | "Running" | "Succeeded" | "Failed";
  deleting?: boolean;
  rv?: string;
  spec?: Partial<Pod["spec"]>;
} = {}): Pod {
  return {
    metadata: {
      namespace: "default",
      name: overrides.name ?? "web-0",
      uid: `uid-${overrides.name ?? "web-0"}`,
      resourceVersion: overrides.rv ?? "1",
      ...(overrides.labels ? { labels: overrides.labels } : {}),
      ...(overrides.deleting ? { deletionTimestamp: "2024-05-01T10:00:00Z" } : {}),
    },
    spec: { containers: [{ name: "main", image: "busybox" }], ...overrides.spec },
    status: {
      phase: overrides.phase ?? "Running",
      ...(overrides.ip !== undefined
        ? { podIP: overrides.ip, podIPs: [{ ip: overrides.ip }] }
        : {}),
      conditions: overrides.ready === undefined ? [] : [{
        type: "Ready",
        status: overrides.ready ? "True" : "False",
        lastTransitionTime: overrides.readySince ?? "2024-05-01T10:00:00Z",
      }],
    },
  } as Pod;
}

function service(name: string, selector?: Record<string, string>, created?: string): Service {
  return {
    metadata: {
      namespace: "default",
      name,
      uid: `uid-${name}`,
      creationTimestamp: created ?? "2024-05-01T09:00:00Z",
    },
    spec: { ...(selector ? { selector } : {}), ports: [{ port: 80 }] },
  };
}

Deno.test("isPodReady() and shouldPodBeInEndpoints() follow the Ready condition, phase, IP and deletion", async (t) => {
  const cases = [
    {
      name: "ready with an IP",
      pod: pod({ ready: true, ip: "10.42.0.1" }),
      ready: true,
      inc: [true, true],
    },
    {
      name: "not ready",
      pod: pod({ ready: false, ip: "10.42.0.1" }),
      ready: false,
      inc: [true, true],
    },
    { name: "no IP", pod: pod({ ready: true }), ready: true, inc: [false, false] },
    {
      name: "succeeded",
      pod: pod({ ready: false, ip: "10.42.0.1", phase: "Succeeded" }),
      ready: false,
      inc: [false, false],
    },
    {
      name: "terminating",
      pod: pod({ ready: true, ip: "10.42.0.1", deleting: true }),
      ready: true,
      inc: [true, false],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(isPodReady(c.pod), c.ready);
      assert.deepEqual(
        [shouldPodBeInEndpoints(c.pod, true), shouldPodBeInEndpoints(c.pod, false)],
        c.inc,
      );
    });
  }
});

Deno.test("findPort() resolves target ports per pod", async (t) => {
  const withPorts = pod({
    spec: {
      containers: [{
        name: "main",
        ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }, {
          name: "dns",
          containerPort: 5353,
          protocol: "UDP",
        }],
      }],
      initContainers: [
        { name: "proxy", restartPolicy: "Always", ports: [{ name: "admin", containerPort: 9901 }] },
        { name: "setup", ports: [{ name: "setup", containerPort: 7000 }] },
      ],
    },
  });
  const cases: { name: string; port: ServicePort; want: number | null }[] = [
    { name: "a number", port: { port: 80, targetPort: 8000 }, want: 8000 },
    { name: "unset: the service port", port: { port: 80 }, want: 80 },
    { name: "a named port", port: { port: 80, targetPort: "http" }, want: 8080 },
    {
      name: "a named port of another protocol",
      port: { port: 53, targetPort: "dns", protocol: "TCP" },
      want: null,
    },
    {
      name: "a named port of the same protocol",
      port: { port: 53, targetPort: "dns", protocol: "UDP" },
      want: 5353,
    },
    { name: "a sidecar's named port", port: { port: 9901, targetPort: "admin" }, want: 9901 },
    { name: "an init container's port", port: { port: 7000, targetPort: "setup" }, want: null },
    { name: "an unknown name", port: { port: 80, targetPort: "grpc" }, want: null },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(findPort(withPorts, c.port), c.want));
  }
});

Deno.test("shouldSetHostname() needs a hostname and the Service as subdomain", async (t) => {
  const svc = service("db", { app: "db" });
  const cases = [
    { name: "both", spec: { hostname: "db-0", subdomain: "db" }, want: true },
    { name: "other subdomain", spec: { hostname: "db-0", subdomain: "cache" }, want: false },
    { name: "no hostname", spec: { subdomain: "db" }, want: false },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(shouldSetHostname(pod({ spec: c.spec }), svc), c.want));
  }
});

Deno.test("serviceKeysFor() matches selectors; a Service without one selects nothing", () => {
  const services = [
    service("web", { app: "web" }),
    service("all", {}),
    service("manual"),
    service("api", { app: "api" }),
  ];
  assert.deepEqual([...serviceKeysFor(services, { app: "web" })], ["default/web", "default/all"]);
});

Deno.test("serviceKeysForPodUpdate() picks the Services a pod change concerns", async (t) => {
  const services = [service("web", { app: "web" }), service("api", { app: "api" })];
  const base = { labels: { app: "web" }, ready: false, ip: "10.42.0.1", rv: "1" };
  const cases = [
    { name: "a resync", newPod: pod({ ...base }), want: [] },
    { name: "an unrelated change", newPod: pod({ ...base, rv: "2" }), want: [] },
    { name: "readiness", newPod: pod({ ...base, rv: "2", ready: true }), want: ["default/web"] },
    { name: "deletion", newPod: pod({ ...base, rv: "2", deleting: true }), want: ["default/web"] },
    { name: "a new IP", newPod: pod({ ...base, rv: "2", ip: "10.42.0.2" }), want: ["default/web"] },
    {
      name: "new labels only: the Services joined or left",
      newPod: pod({ ...base, rv: "2", labels: { app: "api" } }),
      want: ["default/api", "default/web"],
    },
    {
      name: "new labels and readiness: both sets",
      newPod: pod({ ...base, rv: "2", labels: { app: "web", tier: "x" }, ready: true }),
      want: ["default/web"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = serviceKeysForPodUpdate(services, { oldPod: pod(base), newPod: c.newPod });
      assert.deepEqual([...got].sort(), c.want);
    });
  }
});

Deno.test("TriggerTimeTracker.compute() answers the creation time first, then the earliest changed trigger", async (t) => {
  const tracker = new TriggerTimeTracker();
  const svc = service("web", { app: "web" }, "2024-05-01T09:00:00Z");
  const a = pod({ name: "a", ready: true, readySince: "2024-05-01T10:00:00Z" });
  const b = pod({ name: "b", ready: true, readySince: "2024-05-01T10:01:00Z" });
  await t.step("a new Service: its creation time", () => {
    assert.equal(tracker.compute(svc, [a, b]), Date.parse("2024-05-01T09:00:00Z"));
  });
  await t.step("nothing changed: none", () => {
    assert.equal(tracker.compute(svc, [a, b]), null);
  });
  await t.step("pods changed: the earliest of their changes", () => {
    const a2 = pod({ name: "a", ready: false, readySince: "2024-05-01T10:05:00Z" });
    const b2 = pod({ name: "b", ready: false, readySince: "2024-05-01T10:04:00Z" });
    assert.equal(tracker.compute(svc, [a2, b2]), Date.parse("2024-05-01T10:04:00Z"));
  });
  await t.step("a deleted Service starts over", () => {
    tracker.delete("default/web");
    assert.equal(tracker.compute(svc, [a]), Date.parse("2024-05-01T09:00:00Z"));
  });
});
