import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { replicaSetStrategy } from "./replica_set.ts";

function replicaSet(spec: Record<string, unknown> = {}): KubeObject {
  const rs: KubeObject = {
    metadata: { name: "web-5d8f9", namespace: "default" },
    spec: {
      selector: { matchLabels: { app: "web", "pod-template-hash": "5d8f9" } },
      template: {
        metadata: { labels: { app: "web", "pod-template-hash": "5d8f9" } },
        spec: { containers: [{ name: "web", image: "nginx" }] },
      },
      ...spec,
    },
  };
  replicaSetStrategy.default!(rs);
  return rs;
}

function errors(obj: KubeObject): string[] {
  return replicaSetStrategy.validate!(obj).map(String);
}

Deno.test("replicaSetStrategy.default() sets replicas to 1 and defaults the template", () => {
  const spec = replicaSet().spec as { replicas: number; template: { spec: { dnsPolicy: string } } };
  assert.equal(spec.replicas, 1);
  assert.equal(spec.template.spec.dnsPolicy, "ClusterFirst");
  assert.equal((replicaSet({ replicas: 0 }).spec as { replicas: number }).replicas, 0);
});

Deno.test("replicaSetStrategy.validate() reports errors as Kubernetes prints them", async (t) => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    { name: "valid", obj: replicaSet(), want: [] },
    {
      name: "negative replicas and minReadySeconds",
      obj: replicaSet({ replicas: -1, minReadySeconds: -5 }),
      want: [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        "spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0",
      ],
    },
    {
      name: "empty selector (upstream's wording)",
      obj: replicaSet({ selector: {} }),
      want: [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
      ],
    },
    {
      name: "bad label key in the selector",
      obj: replicaSet({ selector: { matchLabels: { "-app": "web" } } }),
      want: [
        "spec.selector.matchLabels: Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"-app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: invalid label selector',
      ],
    },
    {
      name: "NotIn matches labels without the key",
      obj: replicaSet({
        selector: { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["db"] }] },
      }),
      want: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(errors(c.obj), c.want));
  }
});

Deno.test("replicaSetStrategy.validate() of a ReplicaSet without template validates its zero value", () => {
  const rs = replicaSet();
  delete (rs.spec as Record<string, unknown>).template;
  // Then come the errors of the empty pod template, which pod_spec.ts reports.
  assert.equal(
    errors(rs)[0],
    "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`",
  );
});

Deno.test("replicaSetStrategy.validateUpdate() keeps the selector immutable", () => {
  const old = replicaSet();
  assert.deepEqual(replicaSetStrategy.validateUpdate!(replicaSet({ replicas: 3 }), old), []);
  const changed = replicaSet({ selector: { matchLabels: { app: "web" } } });
  assert.equal(
    replicaSetStrategy.validateUpdate!(changed, old).map(String)[0],
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  );
});

Deno.test("replicaSetStrategy.validateStatusUpdate() checks the counters", () => {
  const obj = {
    ...replicaSet(),
    status: { replicas: 2, fullyLabeledReplicas: 3, readyReplicas: 1 },
  };
  assert.deepEqual(replicaSetStrategy.validateStatusUpdate!(obj, replicaSet()).map(String), [
    "status.fullyLabeledReplicas: Invalid value: 3: cannot be greater than status.replicas",
  ]);
  const ok = { ...replicaSet(), status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 } };
  assert.deepEqual(replicaSetStrategy.validateStatusUpdate!(ok, replicaSet()), []);
});

Deno.test("replicaSetStrategy.warnings() warns about names that are not DNS labels", () => {
  const rs = { ...replicaSet(), metadata: { name: "a".repeat(70) } };
  assert.deepEqual(replicaSetStrategy.warnings!(rs), [
    "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [must be no more than 63 characters]",
  ]);
});
