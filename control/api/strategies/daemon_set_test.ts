import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { daemonSetStrategy, TEMPLATE_GENERATION_ANNOTATION } from "./daemon_set.ts";

function daemonSet(spec: Record<string, unknown> = {}): KubeObject {
  const ds: KubeObject = {
    metadata: { name: "agent", namespace: "kube-system" },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      template: {
        metadata: { labels: { app: "agent" } },
        spec: { containers: [{ name: "agent", image: "agent:1" }] },
      },
      ...spec,
    },
  };
  daemonSetStrategy.default!(ds);
  return ds;
}

function errors(obj: KubeObject): string[] {
  return daemonSetStrategy.validate!(obj).map(String);
}

Deno.test("daemonSetStrategy.default() applies the apps/v1 defaults", () => {
  const spec = daemonSet().spec as Record<string, unknown>;
  assert.deepEqual(spec.updateStrategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
  });
  assert.equal(spec.revisionHistoryLimit, 10);
  const onDelete = daemonSet({ updateStrategy: { type: "OnDelete" } }).spec as Record<
    string,
    unknown
  >;
  assert.deepEqual(onDelete.updateStrategy, { type: "OnDelete" });
});

Deno.test("daemonSetStrategy.validate() reports errors as Kubernetes prints them", async (t) => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    { name: "valid", obj: daemonSet(), want: [] },
    {
      name: "empty selector: checked after the label match",
      obj: daemonSet({ selector: {} }),
      want: [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset",
      ],
    },
    {
      name: "selector mismatch",
      obj: daemonSet({ selector: { matchLabels: { app: "other" } } }),
      want: [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"agent"}: `selector` does not match template `labels`',
      ],
    },
    {
      name: "maxSurge and maxUnavailable both set",
      obj: daemonSet({ updateStrategy: { rollingUpdate: { maxUnavailable: 1, maxSurge: "10%" } } }),
      want: [
        'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"10%"}: may not be set when maxUnavailable is non-zero',
      ],
    },
    {
      name: "both zero",
      obj: daemonSet({ updateStrategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }),
      want: [
        "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0",
      ],
    },
    {
      name: "maxSurge above 100%",
      obj: daemonSet({
        updateStrategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: "200%" } },
      }),
      want: [
        'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"200%"}: must not be greater than 100%',
      ],
    },
    {
      name: "restartPolicy Never and negative minReadySeconds",
      obj: daemonSet({
        minReadySeconds: -1,
        template: {
          metadata: { labels: { app: "agent" } },
          spec: { restartPolicy: "Never", containers: [{ name: "a", image: "a" }] },
        },
      }),
      want: [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
        "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0",
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(errors(c.obj), c.want));
  }
});

Deno.test("daemonSetStrategy keeps the template generation annotation", () => {
  const created = daemonSet();
  daemonSetStrategy.prepareForCreate!(created);
  assert.equal(created.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION], "1");

  const sameTemplate = daemonSet({ minReadySeconds: 5 });
  sameTemplate.metadata!.annotations = { [TEMPLATE_GENERATION_ANNOTATION]: "99" };
  daemonSetStrategy.prepareForUpdate!(sameTemplate, created);
  assert.equal(sameTemplate.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION], "1");

  const newTemplate = daemonSet({
    template: {
      metadata: { labels: { app: "agent" } },
      spec: { containers: [{ name: "agent", image: "agent:2" }] },
    },
  });
  daemonSetStrategy.prepareForUpdate!(newTemplate, created);
  assert.equal(newTemplate.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION], "2");
});

Deno.test("daemonSetStrategy.validateUpdate() keeps the selector immutable", () => {
  const old = daemonSet();
  assert.deepEqual(daemonSetStrategy.validateUpdate!(daemonSet(), old), []);
  assert.equal(
    daemonSetStrategy.validateUpdate!(daemonSet({ selector: { matchLabels: { a: "b" } } }), old)
      .length,
    1,
  );
});

Deno.test("daemonSetStrategy.validateStatusUpdate() checks the counters", () => {
  const obj = {
    ...daemonSet(),
    status: {
      currentNumberScheduled: -1,
      numberMisscheduled: 0,
      desiredNumberScheduled: 1,
      numberReady: 1,
    },
  };
  assert.deepEqual(daemonSetStrategy.validateStatusUpdate!(obj, daemonSet()).map(String), [
    "status.currentNumberScheduled: Invalid value: -1: must be greater than or equal to 0",
  ]);
});
