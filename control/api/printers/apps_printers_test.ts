import assert from "node:assert/strict";
import { APPS_PRINTERS } from "./apps_printers.ts";
import type { Printer } from "./table.ts";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const MIN = 60_000;

function ago(ms: number): string {
  return new Date(NOW - ms).toISOString();
}

function printer(kind: string): Printer {
  const p = APPS_PRINTERS.get(`apps/${kind}`);
  assert.ok(p, kind);
  return p;
}

function row(kind: string, o: Record<string, unknown>): unknown[] {
  return printer(kind).row(o, NOW);
}

function meta(name: string, extra: Record<string, unknown> = {}) {
  return { name, namespace: "default", creationTimestamp: ago(5 * MIN), ...extra };
}

const TEMPLATE = {
  metadata: { labels: { app: "web" } },
  spec: { containers: [{ name: "web", image: "nginx:1.27" }, { name: "log", image: "busybox" }] },
};

Deno.test("APPS_PRINTERS have upstream's columns", async (t) => {
  const cases: [string, string][] = [
    ["Deployment", "Name Ready Up-to-date Available Age Containers* Images* Selector*"],
    ["ReplicaSet", "Name Desired Current Ready Age Containers* Images* Selector*"],
    ["StatefulSet", "Name Ready Age Containers* Images*"],
    [
      "DaemonSet",
      "Name Desired Current Ready Up-to-date Available Node Selector Age Containers* Images* Selector*",
    ],
    ["ControllerRevision", "Name Controller Revision Age"],
  ];
  for (const [kind, want] of cases) {
    await t.step(kind, () => {
      const got = printer(kind).columns.map((c) => c.priority > 0 ? `${c.name}*` : c.name);
      assert.equal(got.join(" "), want);
    });
  }
  await t.step("types", () => {
    assert.deepEqual(printer("Deployment").columns.slice(1, 4).map((c) => c.type), [
      "string",
      "string",
      "string",
    ]);
    assert.deepEqual(
      printer("DaemonSet").columns.slice(1, 6).map((c) => c.type),
      Array(5).fill("integer"),
    );
  });
});

Deno.test("Deployment printer prints READY, UP-TO-DATE and AVAILABLE", async (t) => {
  const base = { metadata: meta("web") };
  const spec = { replicas: 3, selector: { matchLabels: { app: "web" } }, template: TEMPLATE };
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ["mid-rollout", {
      ...base,
      spec,
      status: {
        replicas: 4,
        updatedReplicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        unavailableReplicas: 2,
      },
    }, ["web", "2/3", 2, 2, "5m", "web,log", "nginx:1.27,busybox", "app=web"]],
    ["rolled out", {
      ...base,
      spec,
      status: { replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 },
    }, ["web", "3/3", 3, 3, "5m", "web,log", "nginx:1.27,busybox", "app=web"]],
    ["just created", { ...base, spec }, [
      "web",
      "0/3",
      0,
      0,
      "5m",
      "web,log",
      "nginx:1.27,busybox",
      "app=web",
    ]],
    ["scaled to zero, expression selector", {
      ...base,
      spec: {
        replicas: 0,
        template: TEMPLATE,
        selector: {
          matchLabels: { app: "web" },
          matchExpressions: [{ key: "track", operator: "In", values: ["stable", "canary"] }],
        },
      },
    }, [
      "web",
      "0/0",
      0,
      0,
      "5m",
      "web,log",
      "nginx:1.27,busybox",
      "app=web,track in (canary,stable)",
    ]],
    ["invalid selector", {
      ...base,
      spec: { replicas: 1, selector: { matchExpressions: [{ key: "a", operator: "Bad" }] } },
    }, ["web", "0/1", 0, 0, "5m", "", "", "<invalid>"]],
    ["empty", {}, ["", "0/0", 0, 0, "<unknown>", "", "", ""]],
  ];
  for (const [name, d, want] of cases) {
    await t.step(name, () => assert.deepEqual(row("Deployment", d), want));
  }
});

Deno.test("ReplicaSet, StatefulSet and DaemonSet printers", () => {
  assert.deepEqual(
    row("ReplicaSet", {
      metadata: meta("web-5d4f8c"),
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web", "pod-template-hash": "5d4f8c" } },
        template: TEMPLATE,
      },
      status: { replicas: 3, readyReplicas: 1 },
    }),
    [
      "web-5d4f8c",
      3,
      3,
      1,
      "5m",
      "web,log",
      "nginx:1.27,busybox",
      "app=web,pod-template-hash=5d4f8c",
    ],
  );
  assert.deepEqual(row("ReplicaSet", {}), ["", 0, 0, 0, "<unknown>", "", "", "<none>"]);
  assert.deepEqual(
    row("StatefulSet", {
      metadata: meta("db"),
      spec: { replicas: 3, serviceName: "db", template: TEMPLATE },
      status: { replicas: 2, readyReplicas: 1 },
    }),
    ["db", "1/3", "5m", "web,log", "nginx:1.27,busybox"],
  );
  const dsTemplate = {
    ...TEMPLATE,
    spec: { ...TEMPLATE.spec, nodeSelector: { "kubernetes.io/os": "linux" } },
  };
  assert.deepEqual(
    row("DaemonSet", {
      metadata: meta("svclb"),
      spec: { selector: { matchLabels: { app: "svclb" } }, template: dsTemplate },
      status: {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 2,
        updatedNumberScheduled: 1,
        numberAvailable: 2,
      },
    }),
    [
      "svclb",
      3,
      3,
      2,
      1,
      2,
      "kubernetes.io/os=linux",
      "5m",
      "web,log",
      "nginx:1.27,busybox",
      "app=svclb",
    ],
  );
  assert.deepEqual(
    row("DaemonSet", { metadata: meta("x"), spec: { template: TEMPLATE } })[6],
    "<none>",
  );
});

Deno.test("ControllerRevision printer names the controller as kind.group/name", async (t) => {
  const rev = (owners: unknown[]) => ({
    metadata: meta("fluentd-6b7c", { ownerReferences: owners }),
    revision: 2,
  });
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    [
      "daemon set",
      rev([{ apiVersion: "apps/v1", kind: "DaemonSet", name: "fluentd", controller: true }]),
      [
        "fluentd-6b7c",
        "daemonset.apps/fluentd",
        2,
        "5m",
      ],
    ],
    ["core owner", rev([{ apiVersion: "v1", kind: "Pod", name: "p", controller: true }]), [
      "fluentd-6b7c",
      "pod/p",
      2,
      "5m",
    ]],
    ["no controller", rev([{ apiVersion: "apps/v1", kind: "DaemonSet", name: "fluentd" }]), [
      "fluentd-6b7c",
      "<none>",
      2,
      "5m",
    ]],
    ["empty", {}, ["", "<none>", 0, "<unknown>"]],
  ];
  for (const [name, o, want] of cases) {
    await t.step(name, () => assert.deepEqual(row("ControllerRevision", o), want));
  }
});

Deno.test("every apps printer returns one cell per column for odd input", () => {
  const odd = { metadata: [], spec: { template: 3, selector: "x" }, status: "y" };
  for (const [key, p] of APPS_PRINTERS) {
    for (const o of [{}, odd]) {
      const cells = p.row(o as Record<string, unknown>, NOW);
      assert.equal(cells.length, p.columns.length, key);
    }
  }
});
