import assert from "node:assert/strict";
import type { ResourceQuota } from "../types/core_v1_policy.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { checkQuotaRequest, type QuotaDecision } from "./_quota_check.ts";
import { quotaEvaluatorFor } from "./_quota_usage.ts";
import { resourceListToJson } from "./_resource_list.ts";

function quota(
  name: string,
  q: { hard: Record<string, string>; used?: Record<string, string>; scopes?: string[] },
): ResourceQuota {
  return {
    metadata: { name, namespace: "ns", resourceVersion: "5" },
    spec: { hard: q.hard, ...(q.scopes ? { scopes: q.scopes as never } : {}) },
    status: { hard: q.hard, ...(q.used ? { used: q.used } : {}) },
  };
}

function pod(resources?: Record<string, Record<string, string>>): KubeObject {
  return {
    kind: "Pod",
    metadata: { name: "web", namespace: "ns" },
    spec: { containers: [{ name: "web", image: "x", ...(resources ? { resources } : {}) }] },
  };
}

function createPod(quotas: ResourceQuota[], object: KubeObject): QuotaDecision {
  return checkQuotaRequest(quotas, {
    operation: "CREATE",
    subresource: "",
    object,
    evaluator: quotaEvaluatorFor("", "pods")!,
    nowMs: 0,
  });
}

function charges(d: QuotaDecision): Record<string, Record<string, string>> {
  assert.ok(d.allowed, d.allowed ? "" : d.reason);
  return Object.fromEntries(d.charges.map((c) => [c.name, resourceListToJson(c.used)]));
}

function reason(d: QuotaDecision): string {
  assert.ok(!d.allowed, "expected a refusal");
  return d.reason;
}

Deno.test("checkQuotaRequest() refuses with upstream's messages", async (t) => {
  const cases: [string, ResourceQuota[], KubeObject, string][] = [
    [
      "the last pod is taken",
      [quota("q", { hard: { pods: "2" }, used: { pods: "2" } })],
      pod(),
      "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2",
    ],
    [
      "only the exceeded names are printed",
      [quota("compute", {
        hard: { pods: "10", "requests.cpu": "1", "requests.memory": "1Gi" },
        used: { pods: "1", "requests.cpu": "900m", "requests.memory": "0" },
      })],
      pod({ requests: { cpu: "200m", memory: "1Gi" } }),
      "exceeded quota: compute, requested: requests.cpu=200m, used: requests.cpu=900m, limited: requests.cpu=1",
    ],
    [
      "a quota on limits.cpu needs every container to set it",
      [quota("q", { hard: { "limits.cpu": "2" }, used: { "limits.cpu": "0" } })],
      pod(),
      "failed quota: q: must specify limits.cpu for: web",
    ],
    [
      "a quota the controller has not counted yet",
      [quota("q", { hard: { pods: "2", cpu: "1" }, used: { pods: "0" } })],
      pod({ requests: { cpu: "1" } }),
      "status unknown for quota: q, resources: cpu,pods",
    ],
    [
      "the first failing quota, in order",
      [
        quota("a", { hard: { pods: "5" }, used: { pods: "5" } }),
        quota("b", { hard: { pods: "1" }, used: { pods: "1" } }),
      ],
      pod(),
      "exceeded quota: a, requested: pods=1, used: pods=5, limited: pods=5",
    ],
  ];
  for (const [name, quotas, object, want] of cases) {
    await t.step(name, () => assert.equal(reason(createPod(quotas, object)), want));
  }
});

Deno.test("checkQuotaRequest() charges every matching quota its tracked names", async (t) => {
  await t.step("two quotas, each on its own names", () => {
    const d = createPod([
      quota("count", { hard: { pods: "3" }, used: { pods: "1" } }),
      quota("cpu", { hard: { "requests.cpu": "2" }, used: { "requests.cpu": "500m" } }),
    ], pod({ requests: { cpu: "1" } }));
    assert.deepEqual(charges(d), {
      count: { pods: "2" },
      cpu: { "requests.cpu": "1500m" },
    });
    assert.ok(d.allowed);
    assert.deepEqual(resourceListToJson(d.charges[1]!.delta), { "requests.cpu": "1" });
  });
  await t.step("a quota scoped away from the pod is not charged", () => {
    const d = createPod([
      quota("be", { hard: { pods: "1" }, used: { pods: "1" }, scopes: ["NotBestEffort"] }),
    ], pod());
    assert.deepEqual(charges(d), {});
  });
  await t.step("a namespace without quotas charges nothing", () => {
    assert.deepEqual(charges(createPod([], pod())), {});
  });
  await t.step("quotas on other kinds are left alone", () => {
    assert.deepEqual(
      charges(createPod([quota("s", { hard: { services: "0" }, used: { services: "0" } })], pod())),
      {},
    );
  });
});

Deno.test("checkQuotaRequest() charges an update only its growth", async (t) => {
  const services = quotaEvaluatorFor("", "services")!;
  const svc = (type: string, rv = "3"): KubeObject => ({
    kind: "Service",
    metadata: { name: "s", namespace: "ns", resourceVersion: rv },
    spec: { type, ports: [{ port: 80 }, { port: 81 }] },
  });
  const q = quota("q", {
    hard: { services: "5", "services.nodeports": "3" },
    used: { services: "1", "services.nodeports": "0" },
  });
  await t.step("ClusterIP to NodePort adds its node ports, not another service", () => {
    const d = checkQuotaRequest([q], {
      operation: "UPDATE",
      subresource: "",
      object: svc("NodePort"),
      oldObject: svc("ClusterIP"),
      evaluator: services,
      nowMs: 0,
    });
    assert.deepEqual(charges(d), { q: { services: "1", "services.nodeports": "2" } });
  });
  await t.step("shrinking is not charged (the controller gives usage back)", () => {
    const d = checkQuotaRequest([q], {
      operation: "UPDATE",
      subresource: "",
      object: svc("ClusterIP"),
      oldObject: svc("NodePort"),
      evaluator: services,
      nowMs: 0,
    });
    assert.deepEqual(charges(d), {});
  });
  await t.step("growth past the limit is refused", () => {
    const full = quota("q", {
      hard: { "services.nodeports": "1" },
      used: { "services.nodeports": "0" },
    });
    const d = checkQuotaRequest([full], {
      operation: "UPDATE",
      subresource: "",
      object: svc("NodePort"),
      oldObject: svc("ClusterIP"),
      evaluator: services,
      nowMs: 0,
    });
    assert.equal(
      reason(d),
      "exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1",
    );
  });
});
