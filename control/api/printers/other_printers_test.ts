import assert from "node:assert/strict";
import { OTHER_PRINTERS } from "./other_printers.ts";
import type { Printer } from "./table.ts";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const MIN = 60_000;

function ago(ms: number): string {
  return new Date(NOW - ms).toISOString();
}

function printer(key: string): Printer {
  const p = OTHER_PRINTERS.get(key);
  assert.ok(p, key);
  return p;
}

function row(key: string, o: Record<string, unknown>): unknown[] {
  return printer(key).row(o, NOW);
}

function meta(name: string, extra: Record<string, unknown> = {}) {
  return { name, creationTimestamp: ago(5 * MIN), ...extra };
}

Deno.test("OTHER_PRINTERS have upstream's columns", async (t) => {
  const cases: [string, string][] = [
    ["coordination.k8s.io/Lease", "Name Holder Age"],
    ["discovery.k8s.io/EndpointSlice", "Name AddressType Ports Endpoints Age"],
    ["policy/PodDisruptionBudget", "Name Min Available Max Unavailable Allowed Disruptions Age"],
    ["networking.k8s.io/NetworkPolicy", "Name Pod-Selector Age"],
    ["networking.k8s.io/Ingress", "Name Class Hosts Address Ports Age"],
    ["networking.k8s.io/IngressClass", "Name Controller Parameters Age"],
    ["networking.k8s.io/ServiceCIDR", "Name CIDRs Age"],
    [
      "storage.k8s.io/StorageClass",
      "Name Provisioner ReclaimPolicy VolumeBindingMode AllowVolumeExpansion Age",
    ],
    ["storage.k8s.io/VolumeAttachment", "Name Attacher PV Node Attached Age"],
    [
      "storage.k8s.io/CSIDriver",
      "Name AttachRequired PodInfoOnMount StorageCapacity TokenRequests RequiresRepublish Modes Age",
    ],
    ["storage.k8s.io/CSINode", "Name Drivers Age"],
    ["storage.k8s.io/CSIStorageCapacity", "Name StorageClassName Capacity"],
    ["storage.k8s.io/VolumeAttributesClass", "Name DriverName Age"],
    ["scheduling.k8s.io/PriorityClass", "Name Value Global-Default Age PreemptionPolicy"],
    [
      "events.k8s.io/Event",
      "Last Seen Type Reason Object Subobject* Source* Message First Seen* Count* Name*",
    ],
    ["rbac.authorization.k8s.io/RoleBinding", "Name Role Age Users* Groups* ServiceAccounts*"],
    [
      "rbac.authorization.k8s.io/ClusterRoleBinding",
      "Name Role Age Users* Groups* ServiceAccounts*",
    ],
    ["node.k8s.io/RuntimeClass", "Name Handler Age"],
    ["admissionregistration.k8s.io/MutatingWebhookConfiguration", "Name Webhooks Age"],
    ["admissionregistration.k8s.io/ValidatingWebhookConfiguration", "Name Webhooks Age"],
    ["admissionregistration.k8s.io/ValidatingAdmissionPolicy", "Name Validations ParamKind Age"],
    [
      "certificates.k8s.io/CertificateSigningRequest",
      "Name Age SignerName Requestor RequestedDuration Condition",
    ],
    ["autoscaling/HorizontalPodAutoscaler", "Name Reference Targets MinPods MaxPods Replicas Age"],
  ];
  for (const [key, want] of cases) {
    await t.step(key, () => {
      const got = printer(key).columns.map((c) => c.priority > 0 ? `${c.name}*` : c.name);
      assert.equal(got.join(" "), want);
    });
  }
  await t.step("types and formats", () => {
    const pc = printer("scheduling.k8s.io/PriorityClass").columns;
    assert.deepEqual(pc.map((c) => c.type), ["string", "integer", "boolean", "string", "string"]);
    const va = printer("storage.k8s.io/VolumeAttachment").columns;
    assert.deepEqual([va[1]!.format, va[4]!.type], ["name", "boolean"]);
    const sc = printer("storage.k8s.io/StorageClass").columns;
    assert.equal(sc[4]!.type, "string");
  });
});

Deno.test("Lease, EndpointSlice and PodDisruptionBudget printers", async (t) => {
  await t.step("lease", () => {
    assert.deepEqual(
      row("coordination.k8s.io/Lease", {
        metadata: meta("pi-1", { namespace: "kube-node-lease" }),
        spec: { holderIdentity: "pi-1", leaseDurationSeconds: 40, renewTime: ago(3000) },
      }),
      ["pi-1", "pi-1", "5m"],
    );
    assert.deepEqual(row("coordination.k8s.io/Lease", { metadata: meta("free") }), [
      "free",
      "",
      "5m",
    ]);
  });
  await t.step("endpoint slice", () => {
    const slice = {
      metadata: meta("web-x7k2p"),
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }, { name: "metrics" }, {}],
      endpoints: [
        { addresses: ["10.42.0.5"], conditions: { ready: true } },
        { addresses: ["10.42.0.6"] },
        { addresses: ["10.42.1.7"] },
        { addresses: ["10.42.1.8"] },
      ],
    };
    assert.deepEqual(row("discovery.k8s.io/EndpointSlice", slice), [
      "web-x7k2p",
      "IPv4",
      "8080,metrics,*",
      "10.42.0.5,10.42.0.6,10.42.1.7 + 1 more...",
      "5m",
    ]);
    assert.deepEqual(
      row("discovery.k8s.io/EndpointSlice", { metadata: meta("e"), addressType: "IPv6" }),
      ["e", "IPv6", "<unset>", "<unset>", "5m"],
    );
  });
  await t.step("pod disruption budget", () => {
    assert.deepEqual(
      row("policy/PodDisruptionBudget", {
        metadata: meta("web"),
        spec: { minAvailable: 2, selector: { matchLabels: { app: "web" } } },
        status: { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2 },
      }),
      ["web", "2", "N/A", 1, "5m"],
    );
    assert.deepEqual(
      row("policy/PodDisruptionBudget", {
        metadata: meta("db"),
        spec: { maxUnavailable: "25%" },
      }),
      ["db", "N/A", "25%", 0, "5m"],
    );
  });
});

Deno.test("NetworkPolicy, Ingress, IngressClass and ServiceCIDR printers", async (t) => {
  await t.step("network policy", () => {
    assert.deepEqual(
      row("networking.k8s.io/NetworkPolicy", {
        metadata: meta("deny-all"),
        spec: { podSelector: {} },
      }),
      ["deny-all", "<none>", "5m"],
    );
    assert.deepEqual(
      row("networking.k8s.io/NetworkPolicy", {
        metadata: meta("db"),
        spec: { podSelector: { matchLabels: { app: "db" } } },
      }),
      ["db", "app=db", "5m"],
    );
  });
  await t.step("ingress", () => {
    const ingress = {
      metadata: meta("shop"),
      spec: {
        ingressClassName: "traefik",
        rules: [
          { host: "a.example.com" },
          {},
          { host: "b.example.com" },
          { host: "c.example.com" },
          {
            host: "d.example.com",
          },
        ],
        tls: [{ hosts: ["a.example.com"], secretName: "tls" }],
      },
      status: { loadBalancer: { ingress: [{ ip: "192.168.1.240" }, { ip: "192.168.1.241" }] } },
    };
    assert.deepEqual(row("networking.k8s.io/Ingress", ingress), [
      "shop",
      "traefik",
      "a.example.com,b.example.com,c.example.com + 2 more...",
      "192.168.1.240,192.168.1.241",
      "80, 443",
      "5m",
    ]);
    assert.deepEqual(
      row("networking.k8s.io/Ingress", {
        metadata: meta("default-backend"),
        spec: { defaultBackend: { service: { name: "web", port: { number: 80 } } } },
      }),
      ["default-backend", "<none>", "*", "", "80", "5m"],
    );
    assert.deepEqual(
      row("networking.k8s.io/Ingress", {
        metadata: meta("three"),
        spec: { rules: [{ host: "a" }, { host: "b" }, { host: "c" }] },
      })[2],
      "a,b,c",
    );
  });
  await t.step("ingress class", () => {
    assert.deepEqual(
      row("networking.k8s.io/IngressClass", {
        metadata: meta("external-lb"),
        spec: {
          controller: "example.com/ingress-controller",
          parameters: {
            apiGroup: "k8s.example.com",
            kind: "IngressParameters",
            name: "external-lb",
          },
        },
      }),
      [
        "external-lb",
        "example.com/ingress-controller",
        "IngressParameters.k8s.example.com/external-lb",
        "5m",
      ],
    );
    assert.deepEqual(
      row("networking.k8s.io/IngressClass", {
        metadata: meta("traefik"),
        spec: { controller: "traefik.io/ingress-controller" },
      }),
      ["traefik", "traefik.io/ingress-controller", "<none>", "5m"],
    );
  });
  await t.step("service CIDR", () => {
    assert.deepEqual(
      row("networking.k8s.io/ServiceCIDR", {
        metadata: meta("kubernetes"),
        spec: { cidrs: ["10.43.0.0/16", "fd00:43::/112"] },
      }),
      ["kubernetes", "10.43.0.0/16,fd00:43::/112", "5m"],
    );
  });
});

Deno.test("storage printers", async (t) => {
  await t.step("default storage class", () => {
    assert.deepEqual(
      row("storage.k8s.io/StorageClass", {
        metadata: meta("local-path", {
          annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
        }),
        provisioner: "rancher.io/local-path",
        reclaimPolicy: "Delete",
        volumeBindingMode: "WaitForFirstConsumer",
      }),
      [
        "local-path (default)",
        "rancher.io/local-path",
        "Delete",
        "WaitForFirstConsumer",
        false,
        "5m",
      ],
    );
    assert.deepEqual(
      row("storage.k8s.io/StorageClass", {
        metadata: meta("fast", {
          annotations: { "storageclass.beta.kubernetes.io/is-default-class": "false" },
        }),
        provisioner: "csi.example.com",
        allowVolumeExpansion: true,
      }),
      ["fast", "csi.example.com", "Delete", "Immediate", true, "5m"],
    );
  });
  await t.step("volume attachment", () => {
    assert.deepEqual(
      row("storage.k8s.io/VolumeAttachment", {
        metadata: meta("csi-123"),
        spec: {
          attacher: "csi.example.com",
          nodeName: "pi-2",
          source: { persistentVolumeName: "pv-1" },
        },
        status: { attached: true },
      }),
      ["csi-123", "csi.example.com", "pv-1", "pi-2", true, "5m"],
    );
  });
  await t.step("CSI driver", () => {
    assert.deepEqual(
      row("storage.k8s.io/CSIDriver", {
        metadata: meta("csi.example.com"),
        spec: {
          podInfoOnMount: true,
          tokenRequests: [{ audience: "vault" }, { audience: "" }],
          volumeLifecycleModes: ["Persistent", "Ephemeral"],
        },
      }),
      ["csi.example.com", true, true, false, "vault,", false, "Persistent,Ephemeral", "5m"],
    );
    assert.deepEqual(
      row("storage.k8s.io/CSIDriver", { metadata: meta("d"), spec: { attachRequired: false } }),
      ["d", false, false, false, "<unset>", false, "<none>", "5m"],
    );
  });
  await t.step("CSI node, storage capacity, attributes class", () => {
    assert.deepEqual(
      row("storage.k8s.io/CSINode", { metadata: meta("pi-1"), spec: { drivers: [{ name: "a" }] } }),
      ["pi-1", 1, "5m"],
    );
    assert.deepEqual(
      row("storage.k8s.io/CSIStorageCapacity", {
        metadata: meta("csisc-1"),
        storageClassName: "fast",
        capacity: "100Gi",
      }),
      ["csisc-1", "fast", "100Gi"],
    );
    assert.deepEqual(
      row("storage.k8s.io/CSIStorageCapacity", {
        metadata: meta("csisc-2"),
        storageClassName: "x",
      }),
      ["csisc-2", "x", "<unset>"],
    );
    assert.deepEqual(
      row("storage.k8s.io/VolumeAttributesClass", {
        metadata: meta("gold"),
        driverName: "csi.example.com",
      }),
      ["gold", "csi.example.com", "5m"],
    );
  });
});

Deno.test("PriorityClass, RuntimeClass and binding printers", async (t) => {
  await t.step("priority class", () => {
    assert.deepEqual(
      row("scheduling.k8s.io/PriorityClass", {
        metadata: meta("system-node-critical"),
        value: 2000001000,
        preemptionPolicy: "PreemptLowerPriority",
      }),
      ["system-node-critical", 2000001000, false, "5m", "PreemptLowerPriority"],
    );
    assert.deepEqual(
      row("scheduling.k8s.io/PriorityClass", {
        metadata: meta("batch"),
        value: -5,
        globalDefault: true,
      }),
      ["batch", -5, true, "5m", ""],
    );
  });
  await t.step("runtime class", () => {
    assert.deepEqual(
      row("node.k8s.io/RuntimeClass", { metadata: meta("gvisor"), handler: "runsc" }),
      [
        "gvisor",
        "runsc",
        "5m",
      ],
    );
  });
  await t.step("role binding subjects", () => {
    const binding = {
      metadata: meta("devs-view", { namespace: "default" }),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [
        { kind: "User", name: "alice" },
        { kind: "Group", name: "devs" },
        { kind: "ServiceAccount", namespace: "ci", name: "builder" },
        { kind: "User", name: "bob" },
        { kind: "Robot", name: "r2" },
      ],
    };
    assert.deepEqual(row("rbac.authorization.k8s.io/RoleBinding", binding), [
      "devs-view",
      "ClusterRole/view",
      "5m",
      "alice, bob",
      "devs",
      "ci/builder",
    ]);
    assert.deepEqual(
      row("rbac.authorization.k8s.io/ClusterRoleBinding", {
        metadata: meta("cluster-admin"),
        roleRef: { kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "Group", name: "system:masters" }],
      }),
      ["cluster-admin", "ClusterRole/cluster-admin", "5m", "", "system:masters", ""],
    );
  });
});

Deno.test("events.k8s.io Event printer maps regarding, note and deprecated fields", () => {
  const event = {
    metadata: meta("web.17d3", { namespace: "default" }),
    eventTime: new Date(NOW - 3 * MIN).toISOString().replace("Z", "123Z"),
    reportingController: "kubelet",
    reportingInstance: "pi-1",
    action: "Pulling",
    reason: "Pulling",
    regarding: { kind: "Pod", name: "web", fieldPath: "spec.containers{app}" },
    note: 'Pulling image "nginx:1.27"',
    type: "Normal",
    deprecatedSource: { component: "kubelet", host: "pi-1" },
    deprecatedFirstTimestamp: ago(3 * MIN),
    deprecatedLastTimestamp: ago(MIN),
    deprecatedCount: 2,
  };
  assert.deepEqual(row("events.k8s.io/Event", event), [
    "60s",
    "Normal",
    "Pulling",
    "pod/web",
    "spec.containers{app}",
    "kubelet, pi-1",
    'Pulling image "nginx:1.27"',
    "3m",
    2,
    "web.17d3",
  ]);
  const modern = {
    metadata: meta("web.17d4"),
    eventTime: ago(4 * MIN),
    reportingController: "default-scheduler",
    reason: "Scheduled",
    regarding: { kind: "Pod", name: "web" },
    note: "Successfully assigned default/web to pi-1",
    type: "Normal",
  };
  assert.deepEqual(row("events.k8s.io/Event", modern), [
    "4m",
    "Normal",
    "Scheduled",
    "pod/web",
    "",
    "default-scheduler",
    "Successfully assigned default/web to pi-1",
    "4m",
    1,
    "web.17d4",
  ]);
});

Deno.test("admission and certificate printers", async (t) => {
  await t.step("webhook configurations", () => {
    for (
      const key of [
        "admissionregistration.k8s.io/MutatingWebhookConfiguration",
        "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
      ]
    ) {
      assert.deepEqual(
        row(key, { metadata: meta("hooks"), webhooks: [{ name: "a" }, { name: "b" }] }),
        [
          "hooks",
          2,
          "5m",
        ],
      );
    }
  });
  await t.step("validating admission policy", () => {
    assert.deepEqual(
      row("admissionregistration.k8s.io/ValidatingAdmissionPolicy", {
        metadata: meta("replicas"),
        spec: {
          paramKind: { apiVersion: "rules.example.com/v1", kind: "ReplicaLimit" },
          validations: [{ expression: "object.spec.replicas <= params.maxReplicas" }],
        },
      }),
      ["replicas", 1, "rules.example.com/v1/ReplicaLimit", "5m"],
    );
    assert.deepEqual(
      row("admissionregistration.k8s.io/ValidatingAdmissionPolicy", { metadata: meta("p") }),
      ["p", 0, "<unset>", "5m"],
    );
  });
  await t.step("certificate signing requests", () => {
    const csr = (spec: Record<string, unknown>, status: Record<string, unknown>) => ({
      metadata: meta("node-csr-x"),
      spec: { request: "LS0t", username: "system:node:pi-1", ...spec },
      status,
    });
    const key = "certificates.k8s.io/CertificateSigningRequest";
    assert.deepEqual(
      row(
        key,
        csr({ signerName: "kubernetes.io/kubelet-serving", expirationSeconds: 86400 }, {
          conditions: [{ type: "Approved", status: "True" }],
          certificate: "LS0tLS1CRUdJTg==",
        }),
      ),
      [
        "node-csr-x",
        "5m",
        "kubernetes.io/kubelet-serving",
        "system:node:pi-1",
        "24h",
        "Approved,Issued",
      ],
    );
    assert.deepEqual(row(key, csr({}, {})).slice(2), [
      "<none>",
      "system:node:pi-1",
      "<none>",
      "Pending",
    ]);
    assert.equal(
      row(
        key,
        csr({}, {
          conditions: [{ type: "Approved", status: "True" }, { type: "Denied", status: "True" }, {
            type: "Failed",
            status: "True",
          }],
        }),
      )[5],
      "Denied,Failed",
    );
  });
});

Deno.test("HorizontalPodAutoscaler printer formats metric targets", async (t) => {
  const key = "autoscaling/HorizontalPodAutoscaler";
  const hpa = (
    metrics: unknown[],
    currentMetrics: unknown[],
    extra: Record<string, unknown> = {},
  ) => ({
    metadata: meta("web"),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      minReplicas: 1,
      maxReplicas: 10,
      metrics,
      ...extra,
    },
    status: { currentReplicas: 3, desiredReplicas: 3, currentMetrics },
  });
  const cpu = {
    type: "Resource",
    resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
  };
  await t.step("cpu utilization", () => {
    assert.deepEqual(
      row(
        key,
        hpa([cpu], [{
          type: "Resource",
          resource: { name: "cpu", current: { averageUtilization: 42, averageValue: "210m" } },
        }]),
      ),
      ["web", "Deployment/web", "cpu: 42%/80%", "1", 10, 3, "5m"],
    );
  });
  await t.step("no current metrics yet", () => {
    assert.deepEqual(row(key, hpa([cpu], []))[2], "cpu: <unknown>/80%");
  });
  await t.step("several metric types", () => {
    const metrics = [
      {
        type: "Resource",
        resource: { name: "memory", target: { type: "AverageValue", averageValue: "200Mi" } },
      },
      {
        type: "Pods",
        pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "10" } },
      },
      {
        type: "External",
        external: { metric: { name: "queue" }, target: { type: "Value", value: "30" } },
      },
    ];
    const current = [
      { type: "Resource", resource: { name: "memory", current: { averageValue: "150Mi" } } },
      { type: "Pods", pods: { metric: { name: "qps" }, current: { averageValue: "7" } } },
    ];
    assert.equal(row(key, hpa(metrics, current))[2], "memory: 150Mi/200Mi, 7/10 + 1 more...");
    assert.equal(row(key, hpa(metrics.slice(2), []))[2], "<unknown>/30");
  });
  await t.step("object metric with average value and container resource", () => {
    const metrics = [
      {
        type: "Object",
        object: {
          describedObject: { kind: "Ingress", name: "shop" },
          metric: { name: "rps" },
          target: { type: "AverageValue", averageValue: "100" },
        },
      },
      {
        type: "ContainerResource",
        containerResource: { name: "cpu", container: "app", target: { type: "Utilization" } },
      },
    ];
    assert.equal(row(key, hpa(metrics, []))[2], "<unknown>/100 (avg), cpu: <unknown>/<auto>");
  });
  await t.step("no metrics and no minReplicas", () => {
    const o = hpa([], []);
    delete (o.spec as Record<string, unknown>).minReplicas;
    assert.deepEqual(row(key, o).slice(2, 4), ["<none>", "<unset>"]);
    assert.equal(row(key, hpa([{ type: "Mystery" }], []))[2], "<unknown type>");
  });
});

Deno.test("every other printer returns one cell per column for odd input", () => {
  const odd = { metadata: "x", spec: 1, status: [], ports: "p", endpoints: {} };
  for (const [key, p] of OTHER_PRINTERS) {
    for (const o of [{}, odd]) {
      assert.equal(p.row(o as Record<string, unknown>, NOW).length, p.columns.length, key);
    }
  }
});
