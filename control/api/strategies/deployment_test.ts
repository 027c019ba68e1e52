import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { defaultDeployment, deploymentStrategy } from "./deployment.ts";

function deployment(spec: Record<string, unknown> = {}): KubeObject {
  const d: KubeObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
      },
      ...spec,
    },
  };
  deploymentStrategy.default!(d);
  return d;
}

function errors(obj: KubeObject): string[] {
  return deploymentStrategy.validate!(obj).map(String);
}

Deno.test("defaultDeployment() applies the apps/v1 defaults", () => {
  const d = deployment();
  const spec = d.spec as Record<string, unknown>;
  assert.equal(spec.replicas, 1);
  assert.deepEqual(spec.strategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" },
  });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.progressDeadlineSeconds, 600);
  const template = spec.template as { spec: Record<string, unknown> };
  assert.equal(template.spec.restartPolicy, "Always");
});

Deno.test("defaultDeployment() keeps set values and adds no rollingUpdate to Recreate", () => {
  const d = {
    spec: {
      replicas: 0,
      strategy: { type: "Recreate" as const },
      revisionHistoryLimit: 2,
      progressDeadlineSeconds: 30,
      selector: {},
      template: {},
    },
  };
  defaultDeployment(d);
  assert.equal(d.spec.replicas, 0);
  assert.deepEqual(d.spec.strategy, { type: "Recreate" });
  assert.equal(d.spec.revisionHistoryLimit, 2);
  assert.equal(d.spec.progressDeadlineSeconds, 30);
  const partial = { spec: { strategy: { rollingUpdate: { maxSurge: 1 } } } };
  defaultDeployment(partial as never);
  assert.deepEqual(partial.spec.strategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxSurge: 1, maxUnavailable: "25%" },
  });
});

Deno.test("deploymentStrategy.validate() accepts a valid Deployment", () => {
  assert.deepEqual(errors(deployment()), []);
});

Deno.test("deploymentStrategy.validate() reports errors as Kubernetes prints them", async (t) => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    {
      name: "selector does not match the template",
      obj: deployment({ selector: { matchLabels: { app: "api" } } }),
      want: [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      ],
    },
    {
      name: "empty selector",
      obj: deployment({ selector: {} }),
      want: [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
      ],
    },
    {
      name: "bad selector operator",
      obj: deployment({
        selector: { matchExpressions: [{ key: "app", operator: "Is", values: ["web"] }] },
      }),
      want: [
        'spec.selector.matchExpressions[0].operator: Invalid value: "Is": not a valid selector operator',
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"Is", Values:[]string{"web"}}}}: invalid label selector',
      ],
    },
    {
      name: "In without values",
      obj: deployment({ selector: { matchExpressions: [{ key: "app", operator: "In" }] } }),
      want: [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"In", Values:[]string(nil)}}}: invalid label selector',
      ],
    },
    {
      name: "restartPolicy Never",
      obj: deployment({
        template: {
          metadata: { labels: { app: "web" } },
          spec: { restartPolicy: "Never", containers: [{ name: "web", image: "nginx" }] },
        },
      }),
      want: [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      ],
    },
    {
      name: "activeDeadlineSeconds in the template",
      obj: deployment({
        template: {
          metadata: { labels: { app: "web" } },
          spec: { activeDeadlineSeconds: 5, containers: [{ name: "web", image: "nginx" }] },
        },
      }),
      want: [
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
      ],
    },
    {
      name: "negative replicas",
      obj: deployment({ replicas: -1 }),
      want: ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
    },
    {
      name: "Recreate with rollingUpdate",
      obj: deployment({ strategy: { type: "Recreate", rollingUpdate: { maxSurge: 1 } } }),
      want: [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
      ],
    },
    {
      name: "maxSurge and maxUnavailable both 0",
      obj: deployment({ strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: "0%" } } }),
      want: [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0',
      ],
    },
    {
      name: "maxUnavailable above 100%",
      obj: deployment({ strategy: { rollingUpdate: { maxUnavailable: "110%" } } }),
      want: [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"110%"}: must not be greater than 100%',
      ],
    },
    {
      name: "maxSurge not a percentage",
      obj: deployment({ strategy: { rollingUpdate: { maxSurge: "half" } } }),
      want: [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"half\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ],
    },
    {
      name: "progressDeadlineSeconds not above minReadySeconds",
      obj: deployment({ minReadySeconds: 30, progressDeadlineSeconds: 30 }),
      want: [
        "spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds",
      ],
    },
    {
      name: "negative revisionHistoryLimit",
      obj: deployment({ revisionHistoryLimit: -2 }),
      want: ["spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(errors(c.obj), c.want));
  }
});

Deno.test("deploymentStrategy.validate() of a Deployment without spec validates its zero value", () => {
  const d: KubeObject = { metadata: { name: "x" } };
  deploymentStrategy.default!(d);
  // Then come the errors of the empty pod template, which pod_spec.ts reports.
  assert.deepEqual(errors(d).slice(0, 2), [
    "spec.selector: Required value",
    "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`",
  ]);
  assert.equal(d.spec, undefined);
});

Deno.test("deploymentStrategy.validateUpdate() keeps the selector immutable", () => {
  const old = deployment();
  assert.deepEqual(deploymentStrategy.validateUpdate!(deployment({ replicas: 5 }), old), []);
  const changed = deployment({
    selector: { matchLabels: { app: "web2" } },
    template: { metadata: { labels: { app: "web2" } }, spec: { containers: [] } },
  });
  assert.deepEqual(deploymentStrategy.validateUpdate!(changed, old).map(String), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
});

Deno.test("deploymentStrategy.validateStatusUpdate() checks the counters", async (t) => {
  const cases: {
    name: string;
    status: Record<string, unknown>;
    old?: Record<string, unknown>;
    want: string[];
  }[] = [
    {
      name: "consistent",
      status: { replicas: 3, readyReplicas: 3, availableReplicas: 2 },
      want: [],
    },
    {
      name: "negative and too many",
      status: { replicas: 1, updatedReplicas: -1, readyReplicas: 2, availableReplicas: 3 },
      want: [
        "status.updatedReplicas: Invalid value: -1: must be greater than or equal to 0",
        "status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas",
        "status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas",
        "status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas",
      ],
    },
    {
      name: "collisionCount decremented",
      status: { replicas: 1, collisionCount: 1 },
      old: { replicas: 1, collisionCount: 2 },
      want: ["status.collisionCount: Invalid value: 1: cannot be decremented"],
    },
    {
      name: "collisionCount removed",
      status: { replicas: 1 },
      old: { collisionCount: 2 },
      want: ["status.collisionCount: Invalid value: 0: cannot be decremented"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = deploymentStrategy.validateStatusUpdate!(
        { ...deployment(), status: c.status },
        { ...deployment(), status: c.old ?? {} },
      );
      assert.deepEqual(got.map(String), c.want);
    });
  }
});

Deno.test("deploymentStrategy bumps generation on annotations and warns about dotted names", () => {
  assert.equal(deploymentStrategy.generationIncludesAnnotations, true);
  const dotted = { ...deployment(), metadata: { name: "web.v1" } };
  assert.deepEqual(deploymentStrategy.warnings!(dotted), [
    "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]",
  ]);
  assert.deepEqual(deploymentStrategy.warnings!(deployment()), []);
  const update = deploymentStrategy.warnings as (o: KubeObject, old?: KubeObject) => string[];
  assert.deepEqual(update(dotted, dotted), []);
});

Deno.test("deploymentStrategy.prepareForStatusUpdate() keeps the stored labels", () => {
  const old = deployment();
  old.metadata!.labels = { app: "web" };
  const next = structuredClone(old);
  next.metadata!.labels = { app: "changed" };
  next.metadata!.annotations = { note: "kept from the request" };
  deploymentStrategy.prepareForStatusUpdate!(next, old);
  assert.deepEqual(next.metadata?.labels, { app: "web" });
  assert.deepEqual(next.metadata?.annotations, { note: "kept from the request" });
  const unlabeled = deployment();
  const write = structuredClone(unlabeled);
  write.metadata!.labels = { added: "x" };
  deploymentStrategy.prepareForStatusUpdate!(write, unlabeled);
  assert.equal(write.metadata?.labels, undefined);
});
