import assert from "node:assert/strict";
import { CORE_PRINTERS } from "./core_printers.ts";
import type { Printer } from "./table.ts";

const NOW = Date.parse("2024-06-01T12:00:00Z");

function ago(ms: number): string {
  return new Date(NOW - ms).toISOString().replace(".000Z", "Z");
}

function printer(kind: string): Printer {
  const p = CORE_PRINTERS.get(`/${kind}`);
  assert.ok(p, kind);
  return p;
}

function row(kind: string, o: Record<string, unknown>): unknown[] {
  return printer(kind).row(o, NOW);
}

/** Header as `kubectl get` prints it (priority 0) and with `-o wide`. */
function headers(kind: string): [string, string] {
  const cols = printer(kind).columns;
  const up = (c: { name: string }) => c.name.toUpperCase();
  return [cols.filter((c) => c.priority === 0).map(up).join(" "), cols.map(up).join(" ")];
}

const MIN = 60_000;
function meta(name: string, extra: Record<string, unknown> = {}) {
  return { name, namespace: "default", creationTimestamp: ago(5 * MIN), ...extra };
}

Deno.test("CORE_PRINTERS have upstream's columns", async (t) => {
  const cases: [string, string, string][] = [
    [
      "Pod",
      "NAME READY STATUS RESTARTS AGE",
      "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES",
    ],
    ["PodTemplate", "NAME CONTAINERS IMAGES POD LABELS", "NAME CONTAINERS IMAGES POD LABELS"],
    [
      "ReplicationController",
      "NAME DESIRED CURRENT READY AGE",
      "NAME DESIRED CURRENT READY AGE CONTAINERS IMAGES SELECTOR",
    ],
    [
      "Service",
      "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE",
      "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR",
    ],
    ["Endpoints", "NAME ENDPOINTS AGE", "NAME ENDPOINTS AGE"],
    [
      "Node",
      "NAME STATUS ROLES AGE VERSION",
      "NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME",
    ],
    ["Namespace", "NAME STATUS AGE", "NAME STATUS AGE"],
    ["ConfigMap", "NAME DATA AGE", "NAME DATA AGE"],
    ["Secret", "NAME TYPE DATA AGE", "NAME TYPE DATA AGE"],
    ["ServiceAccount", "NAME SECRETS AGE", "NAME SECRETS AGE"],
    [
      "Event",
      "LAST SEEN TYPE REASON OBJECT MESSAGE",
      "LAST SEEN TYPE REASON OBJECT SUBOBJECT SOURCE MESSAGE FIRST SEEN COUNT NAME",
    ],
    [
      "PersistentVolume",
      "NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE",
      "NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE VOLUMEMODE",
    ],
    [
      "PersistentVolumeClaim",
      "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE",
      "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE VOLUMEMODE",
    ],
    ["ResourceQuota", "NAME REQUEST LIMIT AGE", "NAME REQUEST LIMIT AGE"],
  ];
  for (const [kind, normal, wide] of cases) {
    await t.step(kind, () => assert.deepEqual(headers(kind), [normal, wide]));
  }
  await t.step("types and formats", () => {
    const pod = printer("Pod").columns;
    assert.deepEqual(pod.map((c) => c.type), Array(9).fill("string"));
    assert.equal(pod[0]!.format, "name");
    const ev = printer("Event").columns;
    assert.deepEqual([ev[9]!.format, ev[9]!.priority, ev[0]!.format], ["name", 1, ""]);
    assert.deepEqual(printer("ReplicationController").columns.map((c) => c.type).slice(1, 4), [
      "integer",
      "integer",
      "integer",
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Pod

const APP = { name: "app", image: "registry.local/app:1.2" };

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, extra = {}) {
  return {
    metadata: meta("web-7d9c", extra),
    spec: { containers: [APP], ...spec },
    status,
  };
}

function waiting(reason: string) {
  return { waiting: { reason } };
}

Deno.test("Pod printer prints a fresh pending pod", () => {
  assert.deepEqual(row("Pod", pod({}, { phase: "Pending" })), [
    "web-7d9c",
    "0/1",
    "Pending",
    "0",
    "5m",
    "<none>",
    "<none>",
    "<none>",
    "<none>",
  ]);
  assert.deepEqual(row("Pod", {}), [
    "",
    "0/0",
    "",
    "0",
    "<unknown>",
    "<none>",
    "<none>",
    "<none>",
    "<none>",
  ]);
});

Deno.test("Pod printer prints STATUS and RESTARTS as kubectl get pods", async (t) => {
  const running = { running: { startedAt: ago(4 * MIN) } };
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    [
      "running and ready",
      pod({ nodeName: "edge-1" }, {
        phase: "Running",
        podIP: "10.42.0.7",
        podIPs: [{ ip: "10.42.0.7" }, { ip: "fd00::7" }],
        conditions: [{ type: "Ready", status: "True" }],
        containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: running }],
      }),
      ["1/1", "Running", "0", "10.42.0.7", "edge-1"],
    ],
    [
      "crash loop with restarts",
      pod({ nodeName: "edge-1" }, {
        phase: "Running",
        podIP: "10.42.0.8",
        containerStatuses: [{
          name: "app",
          ready: false,
          restartCount: 5,
          state: waiting("CrashLoopBackOff"),
          lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(2 * MIN) } },
        }],
      }),
      ["0/1", "CrashLoopBackOff", "5 (2m ago)", "10.42.0.8", "edge-1"],
    ],
    [
      "image pull backoff",
      pod({}, {
        phase: "Pending",
        containerStatuses: [{ name: "app", ready: false, state: waiting("ImagePullBackOff") }],
      }),
      ["0/1", "ImagePullBackOff", "0", "<none>", "<none>"],
    ],
    [
      "restarts without a finish time",
      pod({}, {
        phase: "Running",
        containerStatuses: [{ name: "app", ready: true, restartCount: 2, state: running }],
      }),
      ["1/1", "Running", "2", "<none>", "<none>"],
    ],
    [
      "running but not ready",
      pod({}, {
        phase: "Running",
        containerStatuses: [{ name: "app", ready: false, state: running }],
      }),
      ["0/1", "Running", "0", "<none>", "<none>"],
    ],
    [
      "OOM killed",
      pod({}, {
        phase: "Running",
        containerStatuses: [{
          name: "app",
          restartCount: 1,
          state: { terminated: { exitCode: 137, reason: "OOMKilled", finishedAt: ago(30_000) } },
          lastState: {
            terminated: { exitCode: 137, reason: "OOMKilled", finishedAt: ago(90_000) },
          },
        }],
      }),
      ["0/1", "OOMKilled", "1 (90s ago)", "<none>", "<none>"],
    ],
    [
      "killed by a signal",
      pod({}, {
        phase: "Running",
        containerStatuses: [{ name: "app", state: { terminated: { exitCode: 0, signal: 9 } } }],
      }),
      ["0/1", "Signal:9", "0", "<none>", "<none>"],
    ],
    [
      "exit code without reason",
      pod({}, {
        phase: "Running",
        containerStatuses: [{ name: "app", state: { terminated: { exitCode: 3 } } }],
      }),
      ["0/1", "ExitCode:3", "0", "<none>", "<none>"],
    ],
    ["pod status reason", pod({}, { phase: "Failed", reason: "Evicted" }), [
      "0/1",
      "Evicted",
      "0",
      "<none>",
      "<none>",
    ]],
    ["node lost without deletion", pod({}, { phase: "Running", reason: "NodeLost" }), [
      "0/1",
      "NodeLost",
      "0",
      "<none>",
      "<none>",
    ]],
    [
      "scheduling gated",
      pod({}, {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }],
      }),
      ["0/1", "SchedulingGated", "0", "<none>", "<none>"],
    ],
    ["podIP without podIPs", pod({}, { phase: "Running", podIP: "10.42.1.1" }), [
      "0/1",
      "Running",
      "0",
      "10.42.1.1",
      "<none>",
    ]],
  ];
  for (const [name, p, want] of cases) {
    await t.step(name, () => {
      const cells = row("Pod", p);
      assert.deepEqual([cells[1], cells[2], cells[3], cells[5], cells[6]], want);
    });
  }
});

Deno.test("Pod printer prints Completed, and what a Completed container hides", async (t) => {
  const two = [APP, { name: "side", image: "busybox" }];
  const done = { terminated: { exitCode: 0, reason: "Completed" } };
  const failed = { terminated: { exitCode: 1, reason: "Error" } };
  const running = { running: {} };
  const cases: [string, Record<string, unknown>, [string, string]][] = [
    [
      "job pod done",
      pod({}, {
        phase: "Succeeded",
        containerStatuses: [{ name: "app", state: done }],
      }),
      ["0/1", "Completed"],
    ],
    [
      "one done, one running and pod ready",
      pod({ containers: two }, {
        phase: "Running",
        conditions: [{ type: "Ready", status: "True" }],
        containerStatuses: [
          { name: "app", state: done },
          { name: "side", ready: true, state: running },
        ],
      }),
      ["1/2", "Running"],
    ],
    [
      "one done, one running, pod not ready",
      pod({ containers: two }, {
        phase: "Running",
        conditions: [{ type: "Ready", status: "False" }],
        containerStatuses: [
          { name: "app", state: done },
          { name: "side", ready: true, state: running },
        ],
      }),
      ["1/2", "NotReady"],
    ],
    [
      "one done, one failed",
      pod({ containers: two }, {
        phase: "Failed",
        containerStatuses: [{ name: "app", state: done }, { name: "side", state: failed }],
      }),
      ["0/2", "Error"],
    ],
  ];
  for (const [name, p, want] of cases) {
    await t.step(name, () => {
      const cells = row("Pod", p);
      assert.deepEqual([cells[1], cells[2]], want);
    });
  }
});

Deno.test("Pod printer prints init container progress", async (t) => {
  const inits = [{ name: "migrate", image: "app" }, { name: "warm", image: "app" }];
  const spec = { initContainers: inits };
  const done = { terminated: { exitCode: 0, reason: "Completed" } };
  const cases: [string, Record<string, unknown>, [string, string, string]][] = [
    [
      "first running",
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [
          { name: "migrate", state: { running: {} } },
          { name: "warm", state: waiting("PodInitializing") },
        ],
        containerStatuses: [{ name: "app", state: waiting("PodInitializing") }],
      }),
      ["0/1", "Init:0/2", "0"],
    ],
    [
      "second waiting to initialize",
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [
          { name: "migrate", state: done },
          { name: "warm", state: waiting("PodInitializing") },
        ],
      }),
      ["0/1", "Init:1/2", "0"],
    ],
    [
      "crash looping",
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [{
          name: "migrate",
          restartCount: 3,
          state: waiting("CrashLoopBackOff"),
          lastState: { terminated: { exitCode: 1, finishedAt: ago(MIN) } },
        }],
      }),
      ["0/1", "Init:CrashLoopBackOff", "3 (60s ago)"],
    ],
    [
      "failed with reason",
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [{
          name: "migrate",
          state: { terminated: { exitCode: 2, reason: "Error" } },
        }],
      }),
      ["0/1", "Init:Error", "0"],
    ],
    [
      "failed with exit code",
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [{ name: "migrate", state: { terminated: { exitCode: 2 } } }],
      }),
      ["0/1", "Init:ExitCode:2", "0"],
    ],
    [
      "exit code 0 counts as done, signal or not",
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [{
          name: "migrate",
          state: { terminated: { exitCode: 0, signal: 9, reason: "" } },
        }],
      }),
      ["0/1", "Pending", "0"],
    ],
    [
      "signal with a non-zero exit",
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [{
          name: "migrate",
          state: { terminated: { exitCode: 137, signal: 9 } },
        }],
      }),
      ["0/1", "Init:Signal:9", "0"],
    ],
    [
      "all done, app running",
      pod(spec, {
        phase: "Running",
        conditions: [{ type: "Initialized", status: "True" }, { type: "Ready", status: "True" }],
        initContainerStatuses: [
          { name: "migrate", restartCount: 4, state: done },
          { name: "warm", state: done },
        ],
        containerStatuses: [{ name: "app", ready: true, state: { running: {} } }],
      }),
      ["1/1", "Running", "0"],
    ],
  ];
  for (const [name, p, want] of cases) {
    await t.step(name, () => {
      const cells = row("Pod", p);
      assert.deepEqual([cells[1], cells[2], cells[3]], want);
    });
  }
});

Deno.test("Pod printer counts restartable init containers (sidecars)", async (t) => {
  const spec = {
    initContainers: [{ name: "mesh", image: "proxy", restartPolicy: "Always" }, {
      name: "setup",
      image: "app",
    }],
  };
  const cases: [string, Record<string, unknown>, [string, string, string]][] = [
    [
      "sidecar not started yet",
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [
          { name: "mesh", started: false, state: { running: {} } },
          { name: "setup", state: waiting("PodInitializing") },
        ],
      }),
      ["0/2", "Init:0/2", "0"],
    ],
    [
      "sidecar started, setup running",
      pod(spec, {
        phase: "Pending",
        initContainerStatuses: [
          { name: "mesh", started: true, ready: true, state: { running: {} } },
          { name: "setup", state: { running: {} } },
        ],
      }),
      ["1/2", "Init:1/2", "0"],
    ],
    [
      "initialized, sidecar restarted",
      pod(spec, {
        phase: "Running",
        conditions: [{ type: "Initialized", status: "True" }, { type: "Ready", status: "True" }],
        initContainerStatuses: [
          {
            name: "mesh",
            started: true,
            ready: true,
            restartCount: 2,
            state: { running: {} },
            lastState: { terminated: { exitCode: 1, finishedAt: ago(10 * MIN) } },
          },
          {
            name: "setup",
            restartCount: 7,
            state: { terminated: { exitCode: 0, reason: "Completed" } },
            lastState: { terminated: { exitCode: 1, finishedAt: ago(MIN) } },
          },
        ],
        containerStatuses: [{
          name: "app",
          ready: true,
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(20 * MIN) } },
        }],
      }),
      ["2/2", "Running", "3 (10m ago)"],
    ],
  ];
  for (const [name, p, want] of cases) {
    await t.step(name, () => {
      const cells = row("Pod", p);
      assert.deepEqual([cells[1], cells[2], cells[3]], want);
    });
  }
});

Deno.test("Pod printer prints Terminating and Unknown for pods being deleted", async (t) => {
  const deleting = { deletionTimestamp: ago(10_000), deletionGracePeriodSeconds: 30 };
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "running pod deleted",
      pod({}, {
        phase: "Running",
        containerStatuses: [{ name: "app", ready: true, state: { running: {} } }],
      }, deleting),
      "Terminating",
    ],
    ["pending pod deleted", pod({}, { phase: "Pending" }, deleting), "Terminating"],
    [
      "succeeded pod deleted",
      pod({}, {
        phase: "Succeeded",
        containerStatuses: [{
          name: "app",
          state: { terminated: { exitCode: 0, reason: "Completed" } },
        }],
      }, deleting),
      "Completed",
    ],
    ["node lost", pod({}, { phase: "Running", reason: "NodeLost" }, deleting), "Unknown"],
  ];
  for (const [name, p, want] of cases) {
    await t.step(name, () => assert.equal(row("Pod", p)[2], want));
  }
});

Deno.test("Pod printer prints nominated node and readiness gates (wide)", () => {
  const p = pod({
    readinessGates: [{ conditionType: "example.com/lb" }, { conditionType: "example.com/dns" }],
  }, {
    phase: "Pending",
    nominatedNodeName: "edge-2",
    conditions: [{ type: "example.com/lb", status: "True" }, {
      type: "example.com/dns",
      status: "False",
    }],
  });
  assert.deepEqual(row("Pod", p).slice(5), ["<none>", "<none>", "edge-2", "1/2"]);
});

Deno.test("Pod printer marks finished pods Completed in row conditions", () => {
  const conditions = printer("Pod").conditions!;
  assert.deepEqual(conditions(pod({}, { phase: "Succeeded" })), [{
    type: "Completed",
    status: "True",
    reason: "Succeeded",
    message: "The pod has completed successfully.",
  }]);
  assert.deepEqual(conditions(pod({}, { phase: "Failed" })), [{
    type: "Completed",
    status: "True",
    reason: "Failed",
    message: "The pod failed.",
  }]);
  assert.equal(conditions(pod({}, { phase: "Running" })), undefined);
});

// ---------------------------------------------------------------------------------------------
// PodTemplate, ReplicationController

Deno.test("PodTemplate and ReplicationController printers", () => {
  const template = {
    metadata: { labels: { app: "web", tier: "front" } },
    spec: { containers: [APP, { name: "log", image: "busybox" }] },
  };
  assert.deepEqual(row("PodTemplate", { metadata: meta("tpl"), template }), [
    "tpl",
    "app,log",
    "registry.local/app:1.2,busybox",
    "app=web,tier=front",
  ]);
  assert.deepEqual(
    row("ReplicationController", {
      metadata: meta("rc"),
      spec: { replicas: 3, selector: { app: "web" }, template },
      status: { replicas: 3, readyReplicas: 2 },
    }),
    ["rc", 3, 3, 2, "5m", "app,log", "registry.local/app:1.2,busybox", "app=web"],
  );
  assert.deepEqual(row("ReplicationController", {}), [
    "",
    0,
    0,
    0,
    "<unknown>",
    "",
    "",
    "<none>",
  ]);
});

// ---------------------------------------------------------------------------------------------
// Service, Endpoints

function svc(spec: Record<string, unknown>, status: Record<string, unknown> = {}) {
  return { metadata: meta("web"), spec, status };
}

Deno.test("Service printer prints types, external IPs and ports as kubectl get svc", async (t) => {
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    [
      "ClusterIP",
      svc({
        type: "ClusterIP",
        clusterIP: "10.43.0.10",
        clusterIPs: ["10.43.0.10"],
        ports: [{ name: "dns", port: 53, protocol: "UDP" }, {
          name: "dns-tcp",
          port: 53,
          protocol: "TCP",
        }],
        selector: { "k8s-app": "kube-dns" },
      }),
      ["web", "ClusterIP", "10.43.0.10", "<none>", "53/UDP,53/TCP", "5m", "k8s-app=kube-dns"],
    ],
    [
      "NodePort",
      svc({
        type: "NodePort",
        clusterIPs: ["10.43.12.5"],
        ports: [{ port: 80, targetPort: 8080, nodePort: 30080, protocol: "TCP" }],
        selector: { app: "web" },
      }),
      ["web", "NodePort", "10.43.12.5", "<none>", "80:30080/TCP", "5m", "app=web"],
    ],
    [
      "ClusterIP with external IPs",
      svc({
        type: "ClusterIP",
        clusterIPs: ["10.43.0.20"],
        externalIPs: ["192.168.1.50", "192.168.1.51"],
        ports: [{ port: 443, protocol: "TCP" }],
      }),
      ["web", "ClusterIP", "10.43.0.20", "192.168.1.50,192.168.1.51", "443/TCP", "5m", "<none>"],
    ],
    [
      "LoadBalancer pending",
      svc({
        type: "LoadBalancer",
        clusterIPs: ["10.43.7.7"],
        ports: [{ port: 80, nodePort: 31000, protocol: "TCP" }],
      }),
      ["web", "LoadBalancer", "10.43.7.7", "<pending>", "80:31000/TCP", "5m", "<none>"],
    ],
    [
      "LoadBalancer with ingress",
      svc({
        type: "LoadBalancer",
        clusterIPs: ["10.43.7.7"],
        ports: [{ port: 80, nodePort: 31000, protocol: "TCP" }],
      }, { loadBalancer: { ingress: [{ ip: "192.168.1.240", ipMode: "VIP" }] } }),
      [
        "web",
        "LoadBalancer",
        "10.43.7.7",
        "192.168.1.240",
        "80:31000/TCP",
        "5m",
        "<none>",
      ],
    ],
    [
      "LoadBalancer with ingress and external IPs, not clipped",
      svc({
        type: "LoadBalancer",
        clusterIPs: ["10.43.7.7"],
        externalIPs: ["203.0.113.9"],
        ports: [{ port: 80, protocol: "TCP" }],
      }, {
        loadBalancer: {
          ingress: [{ hostname: "a1b2c3.elb.example.com" }, { ip: "192.168.1.240" }],
        },
      }),
      [
        "web",
        "LoadBalancer",
        "10.43.7.7",
        "192.168.1.240,a1b2c3.elb.example.com,203.0.113.9",
        "80/TCP",
        "5m",
        "<none>",
      ],
    ],
    ["ExternalName", svc({ type: "ExternalName", externalName: "db.example.com" }), [
      "web",
      "ExternalName",
      "<none>",
      "db.example.com",
      "<none>",
      "5m",
      "<none>",
    ]],
    [
      "headless",
      svc({
        type: "ClusterIP",
        clusterIP: "None",
        clusterIPs: ["None"],
        ports: [{ port: 5432, protocol: "TCP" }],
        selector: { app: "db" },
      }),
      ["web", "ClusterIP", "None", "<none>", "5432/TCP", "5m", "app=db"],
    ],
    ["clusterIP only (no clusterIPs)", svc({ type: "ClusterIP", clusterIP: "10.43.0.1" }), [
      "web",
      "ClusterIP",
      "10.43.0.1",
      "<none>",
      "<none>",
      "5m",
      "<none>",
    ]],
    ["no spec", {}, ["", "", "<none>", "<unknown>", "<none>", "<unknown>", "<none>"]],
  ];
  for (const [name, s, want] of cases) {
    await t.step(name, () => assert.deepEqual(row("Service", s), want));
  }
});

Deno.test("Endpoints printer shows up to three endpoints", async (t) => {
  const addrs = (...ips: string[]) => ips.map((ip) => ({ ip }));
  const cases: [string, unknown, string][] = [
    ["none", undefined, "<none>"],
    ["empty subsets", [], "<none>"],
    [
      "one port",
      [{ addresses: addrs("10.42.0.5", "10.42.0.6"), ports: [{ port: 8080 }] }],
      "10.42.0.5:8080,10.42.0.6:8080",
    ],
    [
      "more than three",
      [{
        addresses: addrs("10.42.0.1", "10.42.0.2", "10.42.0.3", "10.42.0.4", "10.42.0.5"),
        ports: [{ port: 80 }],
      }],
      "10.42.0.1:80,10.42.0.2:80,10.42.0.3:80 + 2 more...",
    ],
    [
      "two ports",
      [{ addresses: addrs("10.42.0.1", "10.42.0.2"), ports: [{ port: 80 }, { port: 443 }] }],
      "10.42.0.1:80,10.42.0.2:80,10.42.0.1:443 + 1 more...",
    ],
    ["IPv6", [{ addresses: addrs("fd00::1"), ports: [{ port: 80 }] }], "[fd00::1]:80"],
    ["headless without ports", [{ addresses: addrs("10.42.0.9") }], "10.42.0.9"],
    [
      "only not-ready addresses",
      [{ notReadyAddresses: addrs("10.42.0.9"), ports: [{ port: 80 }] }],
      "",
    ],
  ];
  for (const [name, subsets, want] of cases) {
    await t.step(
      name,
      () =>
        assert.deepEqual(row("Endpoints", { metadata: meta("web"), subsets }), ["web", want, "5m"]),
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Node, Namespace

const NODE_INFO = {
  kubeletVersion: "v1.33.1-skiff",
  osImage: "Debian GNU/Linux 12 (bookworm)",
  kernelVersion: "6.1.0-rpi7-rpi-v8",
  containerRuntimeVersion: "containerd://1.6.20",
};

Deno.test("Node printer prints a cordoned control-plane node", () => {
  const node = {
    metadata: {
      name: "pi-1",
      creationTimestamp: ago(3 * 24 * 60 * MIN),
      labels: {
        "node-role.kubernetes.io/control-plane": "",
        "node-role.kubernetes.io/master": "true",
        "kubernetes.io/hostname": "pi-1",
      },
    },
    spec: {
      unschedulable: true,
      taints: [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }],
    },
    status: {
      conditions: [
        { type: "MemoryPressure", status: "False" },
        { type: "Ready", status: "True", reason: "KubeletReady" },
      ],
      addresses: [{ type: "InternalIP", address: "192.168.1.10" }, {
        type: "Hostname",
        address: "pi-1",
      }],
      nodeInfo: NODE_INFO,
    },
  };
  assert.deepEqual(row("Node", node), [
    "pi-1",
    "Ready,SchedulingDisabled",
    "control-plane,master",
    "3d",
    "v1.33.1-skiff",
    "192.168.1.10",
    "<none>",
    "Debian GNU/Linux 12 (bookworm)",
    "6.1.0-rpi7-rpi-v8",
    "containerd://1.6.20",
  ]);
});

Deno.test("Node printer prints STATUS and ROLES as kubectl get nodes", async (t) => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    [
      "not ready",
      { status: { conditions: [{ type: "Ready", status: "False" }] } },
      "NotReady",
      "<none>",
    ],
    [
      "unknown ready",
      { status: { conditions: [{ type: "Ready", status: "Unknown" }] } },
      "NotReady",
      "<none>",
    ],
    ["no conditions", {}, "Unknown", "<none>"],
    [
      "no conditions, cordoned",
      { spec: { unschedulable: true } },
      "Unknown,SchedulingDisabled",
      "<none>",
    ],
    [
      "kubernetes.io/role label",
      {
        metadata: {
          labels: { "kubernetes.io/role": "edge", "node-role.kubernetes.io/worker": "" },
        },
        status: { conditions: [{ type: "Ready", status: "True" }] },
      },
      "Ready",
      "edge,worker",
    ],
    [
      "empty role values are ignored",
      {
        metadata: { labels: { "kubernetes.io/role": "", "node-role.kubernetes.io/": "x" } },
      },
      "Unknown",
      "<none>",
    ],
  ];
  for (const [name, node, status, roles] of cases) {
    await t.step(name, () => {
      const cells = row("Node", node);
      assert.deepEqual([cells[1], cells[2]], [status, roles]);
    });
  }
  await t.step("missing node info", () => {
    assert.deepEqual(row("Node", {}).slice(4), [
      "",
      "<none>",
      "<none>",
      "<unknown>",
      "<unknown>",
      "<unknown>",
    ]);
  });
  await t.step("external IP", () => {
    const node = { status: { addresses: [{ type: "ExternalIP", address: "203.0.113.4" }] } };
    assert.deepEqual(row("Node", node).slice(5, 7), ["<none>", "203.0.113.4"]);
  });
});

Deno.test("Namespace, ConfigMap, Secret and ServiceAccount printers", () => {
  assert.deepEqual(
    row("Namespace", { metadata: meta("kube-system"), status: { phase: "Active" } }),
    [
      "kube-system",
      "Active",
      "5m",
    ],
  );
  assert.deepEqual(
    row("Namespace", {
      metadata: meta("old", { deletionTimestamp: ago(1000) }),
      status: { phase: "Terminating" },
    }),
    ["old", "Terminating", "5m"],
  );
  assert.deepEqual(
    row("ConfigMap", {
      metadata: meta("cfg"),
      data: { a: "1", b: "2" },
      binaryData: { c: "AA==" },
    }),
    ["cfg", 3, "5m"],
  );
  assert.deepEqual(row("ConfigMap", { metadata: meta("kube-root-ca.crt") }), [
    "kube-root-ca.crt",
    0,
    "5m",
  ]);
  assert.deepEqual(
    row("Secret", {
      metadata: meta("tls"),
      type: "kubernetes.io/tls",
      data: { "tls.crt": "", "tls.key": "" },
    }),
    ["tls", "kubernetes.io/tls", 2, "5m"],
  );
  assert.deepEqual(row("ServiceAccount", { metadata: meta("default") }), ["default", 0, "5m"]);
  assert.deepEqual(
    row("ServiceAccount", { metadata: meta("builder"), secrets: [{ name: "a" }, { name: "b" }] }),
    ["builder", 2, "5m"],
  );
});

// ---------------------------------------------------------------------------------------------
// Event

Deno.test("Event printer prints kubectl get events rows", async (t) => {
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ["classic event", {
      metadata: meta("web-7d9c.17d3a0c2b"),
      involvedObject: {
        kind: "Pod",
        namespace: "default",
        name: "web-7d9c",
        fieldPath: "spec.containers{app}",
      },
      reason: "BackOff",
      message: "Back-off restarting failed container app in pod web-7d9c\n",
      type: "Warning",
      source: { component: "kubelet", host: "pi-1" },
      firstTimestamp: ago(10 * MIN),
      lastTimestamp: ago(MIN),
      count: 7,
    }, [
      "60s",
      "Warning",
      "BackOff",
      "pod/web-7d9c",
      "spec.containers{app}",
      "kubelet, pi-1",
      "Back-off restarting failed container app in pod web-7d9c",
      "10m",
      7,
      "web-7d9c.17d3a0c2b",
    ]],
    ["new-style event with series", {
      metadata: meta("web.1"),
      involvedObject: { kind: "Pod", name: "web" },
      reason: "FailedScheduling",
      message: "0/1 nodes are available",
      type: "Warning",
      eventTime: new Date(NOW - 30_000).toISOString().replace("Z", "000Z"),
      series: { count: 3, lastObservedTime: new Date(NOW - 5_000).toISOString() },
      reportingComponent: "default-scheduler",
      reportingInstance: "default-scheduler-pi-1",
    }, [
      "5s",
      "Warning",
      "FailedScheduling",
      "pod/web",
      "",
      "default-scheduler, default-scheduler-pi-1",
      "0/1 nodes are available",
      "30s",
      3,
      "web.1",
    ]],
    ["singleton without count or last timestamp", {
      metadata: meta("n.1"),
      involvedObject: { kind: "Node", name: "pi-1" },
      reason: "Starting",
      type: "Normal",
      firstTimestamp: ago(2 * MIN),
      source: { component: "kube-proxy" },
    }, ["2m", "Normal", "Starting", "node/pi-1", "", "kube-proxy", "", "2m", 1, "n.1"]],
    ["no times and no involved name", {
      involvedObject: { kind: "ClusterRole" },
    }, ["<unknown>", "", "", "clusterrole", "", "", "", "<unknown>", 1, ""]],
  ];
  for (const [name, e, want] of cases) {
    await t.step(name, () => assert.deepEqual(row("Event", e), want));
  }
});

// ---------------------------------------------------------------------------------------------
// PersistentVolume, PersistentVolumeClaim, ResourceQuota

Deno.test("PersistentVolume printer", () => {
  const pv = {
    metadata: meta("pvc-1a2b"),
    spec: {
      capacity: { storage: "10Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Delete",
      claimRef: { namespace: "default", name: "data" },
      storageClassName: "local-path",
      volumeMode: "Filesystem",
    },
    status: { phase: "Bound" },
  };
  assert.deepEqual(row("PersistentVolume", pv), [
    "pvc-1a2b",
    "10Gi",
    "RWO",
    "Delete",
    "Bound",
    "default/data",
    "local-path",
    "<unset>",
    "",
    "5m",
    "Filesystem",
  ]);
  const released = {
    metadata: meta("old", {
      deletionTimestamp: ago(1000),
      annotations: { "volume.beta.kubernetes.io/storage-class": "legacy" },
    }),
    spec: { storageClassName: "local-path", volumeAttributesClassName: "gold" },
    status: { phase: "Failed", reason: "ReclaimFailed" },
  };
  assert.deepEqual(row("PersistentVolume", released), [
    "old",
    "0",
    "",
    "",
    "Terminating",
    "",
    "legacy",
    "gold",
    "ReclaimFailed",
    "5m",
    "<unset>",
  ]);
});

Deno.test("PersistentVolumeClaim printer shows capacity only once bound", () => {
  const pending = {
    metadata: meta("data"),
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } },
      storageClassName: "local-path",
      volumeMode: "Filesystem",
    },
    status: { phase: "Pending" },
  };
  assert.deepEqual(row("PersistentVolumeClaim", pending), [
    "data",
    "Pending",
    "",
    "",
    "",
    "local-path",
    "<unset>",
    "5m",
    "Filesystem",
  ]);
  const bound = {
    ...pending,
    spec: { ...pending.spec, volumeName: "pvc-1a2b" },
    status: {
      phase: "Bound",
      accessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
      capacity: { storage: "2Gi" },
    },
  };
  assert.deepEqual(row("PersistentVolumeClaim", bound).slice(1, 5), [
    "Bound",
    "pvc-1a2b",
    "2Gi",
    "RWO,RWOP",
  ]);
  assert.deepEqual(row("PersistentVolumeClaim", {}), [
    "",
    "",
    "",
    "",
    "",
    "",
    "<unset>",
    "<unknown>",
    "<unset>",
  ]);
});

Deno.test("ResourceQuota printer splits requests and limits", () => {
  const quota = {
    metadata: meta("compute"),
    spec: { hard: {} },
    status: {
      hard: { "requests.cpu": "1", "limits.memory": "2Gi", pods: "10", "limits.cpu": "2" },
      used: { "requests.cpu": "500m", pods: "3", "limits.cpu": "1" },
    },
  };
  assert.deepEqual(row("ResourceQuota", quota), [
    "compute",
    "pods: 3/10, requests.cpu: 500m/1",
    "limits.cpu: 1/2, limits.memory: 0/2Gi",
    "5m",
  ]);
  assert.deepEqual(row("ResourceQuota", { metadata: meta("empty") }), ["empty", "", "", "5m"]);
});

Deno.test("every core printer returns one cell per column for odd input", () => {
  const odd = { metadata: 5, spec: "x", status: [1], data: null, subsets: "y" };
  for (const [key, p] of CORE_PRINTERS) {
    for (const o of [{}, odd]) {
      const cells = p.row(o as Record<string, unknown>, NOW);
      assert.equal(cells.length, p.columns.length, key);
      assert.ok(cells.every((c) => ["string", "number", "boolean"].includes(typeof c)), key);
    }
  }
});
