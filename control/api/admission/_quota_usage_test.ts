import assert from "node:assert/strict";
import type { ResourceQuota } from "../types/core_v1_policy.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { resourceListToJson } from "./_resource_list.ts";
import {
  kindsCounting,
  objectCountName,
  parseObjectCountName,
  podIsCharged,
  quotaEvaluatorFor,
  quotaMatches,
} from "./_quota_usage.ts";

const pods = quotaEvaluatorFor("", "pods")!;
const services = quotaEvaluatorFor("", "services")!;
const pvcs = quotaEvaluatorFor("", "persistentvolumeclaims")!;

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

function pod(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "ns" },
    spec,
    ...extra,
  };
}

function c(name: string, resources?: Resources, more: Record<string, unknown> = {}) {
  return { name, image: "x", ...(resources ? { resources } : {}), ...more };
}

function usage(obj: KubeObject, nowMs = 0): Record<string, string> {
  return resourceListToJson(quotaEvaluatorFor("", String(obj.kind === "Pod" ? "pods" : obj.kind))!
    .usage(obj, nowMs));
}

Deno.test("pod usage charges requests, limits, count and extended resources", async (t) => {
  const cases: { name: string; pod: KubeObject; want: Record<string, string> }[] = [
    {
      name: "a pod without resources is one pod",
      pod: pod({ containers: [c("a")] }),
      want: { "count/pods": "1", pods: "1" },
    },
    {
      name: "cpu and memory requests count as cpu/memory and requests.*",
      pod: pod({
        containers: [
          c("a", { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "200m" } }),
          c("b", { requests: { cpu: "150m" }, limits: { cpu: "300m", memory: "1Gi" } }),
        ],
      }),
      want: {
        "count/pods": "1",
        cpu: "250m",
        "limits.cpu": "500m",
        "limits.memory": "1Gi",
        memory: "64Mi",
        pods: "1",
        "requests.cpu": "250m",
        "requests.memory": "64Mi",
      },
    },
    {
      name: "ephemeral storage, huge pages and extended resources",
      pod: pod({
        containers: [c("a", {
          requests: { "ephemeral-storage": "1Gi", "hugepages-2Mi": "4Mi", "example.com/gpu": "2" },
          limits: { "ephemeral-storage": "2Gi", "hugepages-2Mi": "4Mi", "example.com/gpu": "2" },
        })],
      }),
      want: {
        "count/pods": "1",
        "ephemeral-storage": "1Gi",
        "hugepages-2Mi": "4Mi",
        "limits.ephemeral-storage": "2Gi",
        pods: "1",
        "requests.ephemeral-storage": "1Gi",
        "requests.example.com/gpu": "2",
        "requests.hugepages-2Mi": "4Mi",
      },
    },
    {
      name: "a regular init container counts when it is larger than the containers",
      pod: pod({
        initContainers: [c("init", { requests: { cpu: "2" } })],
        containers: [c("a", { requests: { cpu: "500m" } })],
      }),
      want: { "count/pods": "1", cpu: "2", pods: "1", "requests.cpu": "2" },
    },
    {
      name: "sidecar init containers add to the containers and to later init containers",
      pod: pod({
        initContainers: [
          c("side", { requests: { cpu: "1" } }, { restartPolicy: "Always" }),
          c("init", { requests: { cpu: "2500m" } }),
        ],
        containers: [c("a", { requests: { cpu: "500m" } })],
      }),
      want: { "count/pods": "1", cpu: "3500m", pods: "1", "requests.cpu": "3500m" },
    },
    {
      name: "pod overhead adds to requests, and to limits that are set",
      pod: pod({
        overhead: { cpu: "100m", memory: "10Mi" },
        containers: [c("a", { requests: { cpu: "1" }, limits: { cpu: "2" } })],
      }),
      want: {
        "count/pods": "1",
        cpu: "1100m",
        "limits.cpu": "2100m",
        memory: "10Mi",
        pods: "1",
        "requests.cpu": "1100m",
        "requests.memory": "10Mi",
      },
    },
    {
      name: "a terminal pod only counts as an object",
      pod: pod({ containers: [c("a", { requests: { cpu: "1" } })] }, {
        status: { phase: "Succeeded" },
      }),
      want: { "count/pods": "1" },
    },
  ];
  for (const tc of cases) await t.step(tc.name, () => assert.deepEqual(usage(tc.pod), tc.want));
});

Deno.test("podIsCharged() stops charging a deleted pod once its grace period has passed", () => {
  const deleted = pod({ containers: [c("a")] }, {}) as { metadata: Record<string, unknown> };
  deleted.metadata.deletionTimestamp = "1970-01-01T00:00:10Z";
  deleted.metadata.deletionGracePeriodSeconds = 30;
  assert.equal(podIsCharged(deleted as never, 40_000), true);
  assert.equal(podIsCharged(deleted as never, 40_001), false);
  assert.equal(pods.chargeEndsAt(deleted as never), 40_000);
  assert.deepEqual(usage(deleted as never, 50_000), { "count/pods": "1" });
});

Deno.test("pod scopes match as upstream's podMatchesScopeFunc", async (t) => {
  const best = pod({ containers: [c("a")] });
  const burst = pod({
    activeDeadlineSeconds: 0,
    priorityClassName: "high",
    containers: [c("a", { requests: { cpu: "1" } })],
    affinity: {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "k", namespaces: ["x"] }],
      },
    },
  });
  const cases: [string, KubeObject, Record<string, unknown>, boolean][] = [
    ["Terminating needs an active deadline", burst, { scopeName: "Terminating" }, true],
    ["NotTerminating without one", best, { scopeName: "NotTerminating" }, true],
    ["BestEffort without resources", best, { scopeName: "BestEffort" }, true],
    ["NotBestEffort with requests", burst, { scopeName: "NotBestEffort" }, true],
    ["BestEffort is not a burstable pod", burst, { scopeName: "BestEffort" }, false],
    ["PriorityClass Exists", burst, { scopeName: "PriorityClass", operator: "Exists" }, true],
    [
      "PriorityClass Exists needs a class",
      best,
      { scopeName: "PriorityClass", operator: "Exists" },
      false,
    ],
    [
      "PriorityClass In",
      burst,
      { scopeName: "PriorityClass", operator: "In", values: ["high"] },
      true,
    ],
    ["PriorityClass NotIn", burst, {
      scopeName: "PriorityClass",
      operator: "NotIn",
      values: ["high"],
    }, false],
    ["PriorityClass NotIn without a class", best, {
      scopeName: "PriorityClass",
      operator: "NotIn",
      values: ["high"],
    }, true],
    [
      "PriorityClass DoesNotExist",
      best,
      { scopeName: "PriorityClass", operator: "DoesNotExist" },
      true,
    ],
    [
      "CrossNamespacePodAffinity with namespaces",
      burst,
      { scopeName: "CrossNamespacePodAffinity" },
      true,
    ],
    [
      "CrossNamespacePodAffinity without affinity",
      best,
      { scopeName: "CrossNamespacePodAffinity" },
      false,
    ],
  ];
  for (const [name, p, req, want] of cases) {
    await t.step(name, () => assert.equal(pods.matchesScope(req as never, p), want));
  }
  await t.step("other kinds match no scope", () => {
    assert.equal(
      services.matchesScope({ scopeName: "NotTerminating", operator: "Exists" }, best),
      false,
    );
  });
});

Deno.test("pod constraints name what each container must specify", async (t) => {
  const cases: [string, KubeObject, string[], string | null][] = [
    ["nothing demanded", pod({ containers: [c("a")] }), ["pods"], null],
    [
      "limits.cpu missing",
      pod({ containers: [c("web")] }),
      ["pods", "limits.cpu"],
      "must specify limits.cpu for: web",
    ],
    [
      "several resources and containers, sorted",
      pod({
        initContainers: [c("init", { requests: { cpu: "1" } })],
        containers: [c("b"), c("a", { limits: { memory: "1Gi" } })],
      }),
      ["requests.memory", "cpu", "limits.memory"],
      "must specify cpu for: a,b; limits.memory for: b,init; requests.memory for: a,b,init",
    ],
    [
      "ephemeral storage is never demanded",
      pod({ containers: [c("a")] }),
      ["requests.ephemeral-storage"],
      null,
    ],
  ];
  for (const [name, p, required, want] of cases) {
    await t.step(name, () => assert.equal(pods.constraints(required, p), want));
  }
});

Deno.test("service usage counts load balancers and node ports", async (t) => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({
    kind: "Service",
    metadata: {},
    spec,
  });
  const ports = [{ port: 80 }, { port: 443, nodePort: 30443 }];
  const cases: [string, KubeObject, Record<string, string>][] = [
    ["ClusterIP", svc({ ports }), { lb: "0", np: "0" }],
    ["NodePort counts every port", svc({ type: "NodePort", ports }), { lb: "0", np: "2" }],
    ["LoadBalancer", svc({ type: "LoadBalancer", ports }), { lb: "1", np: "2" }],
    [
      "LoadBalancer without node port allocation counts named ports",
      svc({ type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports }),
      { lb: "1", np: "1" },
    ],
  ];
  for (const [name, s, want] of cases) {
    await t.step(name, () => {
      assert.deepEqual(resourceListToJson(services.usage(s, 0)), {
        "count/services": "1",
        services: "1",
        "services.loadbalancers": want.lb!,
        "services.nodeports": want.np!,
      });
    });
  }
});

Deno.test("claim usage charges storage, rounded up, and per storage class", async (t) => {
  const pvc = (m: Record<string, unknown>, spec: Record<string, unknown>, status = {}) =>
    ({ kind: "PersistentVolumeClaim", metadata: m, spec, status }) as KubeObject;
  const cls = "fast.storageclass.storage.k8s.io/";
  await t.step("with a class", () => {
    assert.deepEqual(
      resourceListToJson(
        pvcs.usage(
          pvc({}, { storageClassName: "fast", resources: { requests: { storage: "1Gi" } } }),
          0,
        ),
      ),
      {
        "count/persistentvolumeclaims": "1",
        [`${cls}persistentvolumeclaims`]: "1",
        [`${cls}requests.storage`]: "1Gi",
        persistentvolumeclaims: "1",
        "requests.storage": "1Gi",
      },
    );
  });
  await t.step("the beta annotation wins over the field", () => {
    const u = pvcs.usage(
      pvc({ annotations: { "volume.beta.kubernetes.io/storage-class": "slow" } }, {
        storageClassName: "fast",
        resources: { requests: { storage: "1" } },
      }),
      0,
    );
    assert.ok(u.has("slow.storageclass.storage.k8s.io/requests.storage"));
  });
  await t.step("fractions of a byte round up, and a larger allocation counts", () => {
    assert.equal(
      pvcs.usage(pvc({}, { resources: { requests: { storage: "1500m" } } }), 0).get(
        "requests.storage",
      )
        ?.toString(),
      "2",
    );
    assert.equal(
      pvcs.usage(
        pvc({}, { resources: { requests: { storage: "1Gi" } } }, {
          allocatedResources: { storage: "2Gi" },
        }),
        0,
      ).get("requests.storage")?.toString(),
      "2Gi",
    );
  });
  await t.step("per-class names match any class", () => {
    assert.deepEqual(
      pvcs.matchingResources([`${cls}requests.storage`, "pods", "requests.storage"]),
      [
        `${cls}requests.storage`,
        "requests.storage",
      ],
    );
  });
});

Deno.test("object counts use count/<resource>.<group> and the legacy core names", async (t) => {
  await t.step("names", () => {
    assert.equal(objectCountName("", "secrets"), "count/secrets");
    assert.equal(objectCountName("apps", "deployments"), "count/deployments.apps");
    assert.deepEqual(parseObjectCountName("count/deployments.apps"), {
      group: "apps",
      resource: "deployments",
    });
    assert.deepEqual(parseObjectCountName("count/foos.example.com"), {
      group: "example.com",
      resource: "foos",
    });
    assert.deepEqual(parseObjectCountName("count/pods"), { group: "", resource: "pods" });
    assert.equal(parseObjectCountName("pods"), null);
  });
  await t.step("secrets count under both names, deployments under one", () => {
    const secrets = quotaEvaluatorFor("", "secrets")!;
    assert.deepEqual(resourceListToJson(secrets.usage({}, 0)), {
      "count/secrets": "1",
      secrets: "1",
    });
    const deployments = quotaEvaluatorFor("apps", "deployments")!;
    assert.deepEqual(resourceListToJson(deployments.usage({}, 0)), {
      "count/deployments.apps": "1",
    });
    assert.equal(deployments.handles("CREATE", ""), true);
    assert.equal(deployments.handles("UPDATE", ""), false);
  });
  await t.step("core events are never counted", () => {
    assert.equal(quotaEvaluatorFor("", "events"), null);
  });
  await t.step("kindsCounting() finds the kinds a quota's names need", () => {
    assert.deepEqual(
      kindsCounting([
        "requests.cpu",
        "services.nodeports",
        "secrets",
        "count/deployments.apps",
        "count/events",
      ]),
      [
        { group: "", resource: "pods" },
        { group: "", resource: "services" },
        { group: "", resource: "secrets" },
        { group: "apps", resource: "deployments" },
      ],
    );
  });
});

Deno.test("quotaMatches() needs an enforced resource of the kind and every scope", () => {
  const quota = (hard: Record<string, string>, scopes?: string[]) =>
    ({
      metadata: { name: "q" },
      spec: { hard, ...(scopes ? { scopes } : {}) },
      status: { hard },
    }) as ResourceQuota;
  const p = pod({ containers: [c("a")] });
  assert.equal(quotaMatches(quota({ pods: "1" }), { evaluator: pods, object: p }), true);
  assert.equal(quotaMatches(quota({ services: "1" }), { evaluator: pods, object: p }), false);
  assert.equal(
    quotaMatches(quota({ pods: "1" }, ["BestEffort"]), { evaluator: pods, object: p }),
    true,
  );
  assert.equal(
    quotaMatches(quota({ pods: "1" }, ["NotBestEffort"]), { evaluator: pods, object: p }),
    false,
  );
  // Without status.hard (the controller has not seen it yet) a quota enforces nothing.
  const fresh = { metadata: { name: "q" }, spec: { hard: { pods: "1" } } } as ResourceQuota;
  assert.equal(quotaMatches(fresh, { evaluator: pods, object: p }), false);
  assert.equal(
    quotaMatches(quota({ services: "1" }, ["NotTerminating"]), { evaluator: services, object: {} }),
    false,
  );
});
