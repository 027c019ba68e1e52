import assert from "node:assert/strict";
import type { ResourceQuota } from "../types/core_v1_policy.ts";
import { isScopeValidForResource, resourceQuotaStrategy } from "./resource_quota.ts";

function quota(obj: Partial<ResourceQuota>): ResourceQuota {
  return { metadata: { name: "q", namespace: "default" }, ...obj };
}

Deno.test("resourceQuotaStrategy.prepareForCreate() clears the status", () => {
  const obj = quota({ status: { used: { pods: "3" } } });
  resourceQuotaStrategy.prepareForCreate!(obj);
  assert.deepEqual(obj.status, {});
});

Deno.test("resourceQuotaStrategy.validate() checks hard limits and scopes", async (t) => {
  const cases: [string, Partial<ResourceQuota>, string[]][] = [
    ["valid", {
      spec: { hard: { pods: "10", "requests.cpu": "2", "count/deployments.apps": "5" } },
    }, []],
    ["non-standard resource", { spec: { hard: { gpus: "1" } } }, [
      'spec.hard[gpus]: Invalid value: "gpus": must be a standard resource type or fully qualified',
      'spec.hard[gpus]: Invalid value: "gpus": must be a standard resource for quota',
    ]],
    ["negative", { spec: { hard: { cpu: "-1" } } }, [
      'spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    ]],
    ["fractional object count", { spec: { hard: { pods: "1500m" } } }, [
      'spec.hard[pods]: Invalid value: "1500m": must be an integer',
    ]],
    ["conflicting scopes", {
      spec: { hard: { pods: "1" }, scopes: ["BestEffort", "NotBestEffort"] },
    }, [
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes',
    ]],
    ["scope not for resource", { spec: { hard: { cpu: "1" }, scopes: ["BestEffort"] } }, [
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource',
    ]],
    ["scope selector operator", {
      spec: {
        hard: { pods: "1" },
        scopeSelector: {
          matchExpressions: [{ scopeName: "Terminating", operator: "In", values: ["x"] }],
        },
      },
    }, [
      "spec.scopeSelector.matchExpressions.operator: Invalid value: \"In\": must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
    ]],
    ["scope selector values", {
      spec: {
        scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "In" }] },
      },
    }, [
      "spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
    ]],
  ];
  for (const [name, obj, want] of cases) {
    await t.step(
      name,
      () => assert.deepEqual(resourceQuotaStrategy.validate!(quota(obj)).map(String), want),
    );
  }
});

Deno.test("resourceQuotaStrategy.validateUpdate() keeps the scopes", () => {
  const old = quota({ spec: { scopes: ["Terminating", "BestEffort"] } });
  assert.deepEqual(
    resourceQuotaStrategy.validateUpdate!(
      quota({ spec: { scopes: ["BestEffort", "Terminating"] } }),
      old,
    ),
    [],
  );
  assert.deepEqual(
    resourceQuotaStrategy.validateUpdate!(quota({ spec: {} }), old).map(String),
    ["spec.scopes: Invalid value: []core.ResourceQuotaScope(nil): field is immutable"],
  );
});

Deno.test("resourceQuotaStrategy.validateStatusUpdate() needs a resourceVersion and valid usage", () => {
  const errs = resourceQuotaStrategy.validateStatusUpdate!(
    quota({ status: { used: { pods: "-2" } } }),
    quota({}),
  );
  assert.deepEqual(errs.map(String), [
    "resourceVersion: Required value",
    'status.used[pods]: Invalid value: "-2": must be greater than or equal to 0',
  ]);
  assert.ok(isScopeValidForResource("NotTerminating", "limits.memory"));
  assert.ok(!isScopeValidForResource("BestEffort", "requests.cpu"));
});
