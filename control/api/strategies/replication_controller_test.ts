import assert from "node:assert/strict";
import type { ReplicationController } from "../types/core_v1_replication_controller.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  defaultReplicationController,
  replicationControllerStrategy,
  selectorFromSet,
} from "./replication_controller.ts";

function rc(
  spec: Record<string, unknown> = {},
  labels: Record<string, string> | null = null,
): KubeObject {
  const obj: KubeObject = {
    metadata: { name: "web", namespace: "default", ...(labels ? { labels } : {}) },
    spec: {
      template: {
        metadata: { labels: { app: "web", tier: "front" } },
        spec: { containers: [{ name: "web", image: "nginx" }] },
      },
      ...spec,
    },
  };
  replicationControllerStrategy.default!(obj);
  return obj;
}

function errors(obj: KubeObject): string[] {
  return replicationControllerStrategy.validate!(obj).map(String);
}

function specOf(obj: KubeObject): NonNullable<ReplicationController["spec"]> {
  return (obj as ReplicationController).spec!;
}

Deno.test("defaultReplicationController() fills selector, labels and replicas from the template", async (t) => {
  await t.step("selector and object labels come from the template's labels", () => {
    const obj = rc();
    assert.deepEqual(specOf(obj).selector, { app: "web", tier: "front" });
    assert.deepEqual(obj.metadata?.labels, { app: "web", tier: "front" });
    assert.equal(specOf(obj).replicas, 1);
  });
  await t.step("a given selector, labels and replicas are kept", () => {
    const obj = rc({ selector: { app: "web" }, replicas: 0 }, { team: "a" });
    assert.deepEqual(specOf(obj).selector, { app: "web" });
    assert.deepEqual(obj.metadata?.labels, { team: "a" });
    assert.equal(specOf(obj).replicas, 0);
  });
  await t.step("defaulted fields come in the Go struct's order", () => {
    assert.deepEqual(Object.keys(specOf(rc({ minReadySeconds: 3 }))), [
      "replicas",
      "minReadySeconds",
      "selector",
      "template",
    ]);
  });
  await t.step("an empty selector counts as unset", () => {
    assert.deepEqual(specOf(rc({ selector: {} })).selector, { app: "web", tier: "front" });
  });
  await t.step("the pod template gets the pod defaults", () => {
    const spec = specOf(rc()).template?.spec;
    assert.equal(spec?.restartPolicy, "Always");
    assert.equal(spec?.dnsPolicy, "ClusterFirst");
    assert.equal(spec?.containers[0]?.terminationMessagePath, "/dev/termination-log");
  });
  await t.step("without a template only replicas is defaulted", () => {
    const obj: ReplicationController = { metadata: { name: "web" } };
    defaultReplicationController(obj);
    assert.deepEqual(obj.spec, { replicas: 1 });
    assert.equal(obj.metadata?.labels, undefined);
  });
});

Deno.test("replicationControllerStrategy.validate() reports upstream's errors", async (t) => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    { name: "valid", obj: rc(), want: [] },
    { name: "zero replicas", obj: rc({ replicas: 0 }), want: [] },
    {
      name: "negative minReadySeconds and replicas, in upstream's order",
      obj: rc({ replicas: -1, minReadySeconds: -5 }),
      want: [
        "spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0",
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
      ],
    },
    {
      name: "selector not matching the template's labels",
      obj: rc({ selector: { app: "db" } }),
      want: [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web", "tier":"front"}: `selector` does not match template `labels`',
      ],
    },
    {
      name: "a selector of a subset of the labels",
      obj: rc({ selector: { tier: "front" } }),
      want: [],
    },
    {
      name: "restartPolicy other than Always",
      obj: rc({
        template: {
          metadata: { labels: { app: "web" } },
          spec: { restartPolicy: "OnFailure", containers: [{ name: "web", image: "nginx" }] },
        },
      }),
      want: [
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
      ],
    },
    {
      name: "activeDeadlineSeconds",
      obj: rc({
        template: {
          metadata: { labels: { app: "web" } },
          spec: { activeDeadlineSeconds: 5, containers: [{ name: "web", image: "nginx" }] },
        },
      }),
      want: [
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported",
      ],
    },
    {
      name: "a template without labels and no selector",
      obj: rc({ template: { spec: { containers: [{ name: "web", image: "nginx" }] } } }),
      want: ["spec.selector: Required value"],
    },
    {
      name: "no template, even with zero replicas",
      obj: { metadata: { name: "web" }, spec: { replicas: 0, selector: { app: "web" } } },
      want: ["spec.template: Required value"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(errors(c.obj), c.want));
  }
});

Deno.test("replicationControllerStrategy.validate() of a ReplicationController without spec", () => {
  const obj: KubeObject = { metadata: { name: "web" } };
  replicationControllerStrategy.default!(obj);
  assert.deepEqual(errors(obj), ["spec.selector: Required value", "spec.template: Required value"]);
  assert.deepEqual(errors({ metadata: { name: "web" } }), [
    "spec.selector: Required value",
    "spec.template: Required value",
  ]);
});

Deno.test("replicationControllerStrategy.validate() validates the pod template", () => {
  const obj = rc({
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "Web_1", image: "nginx" }] },
    },
  });
  assert.match(
    errors(obj)[0] ?? "",
    /^spec\.template\.spec\.containers\[0\]\.name: Invalid value: "Web_1": /,
  );
});

Deno.test("replicationControllerStrategy lets the selector change on update", () => {
  const old = rc();
  const changed = rc({ selector: { app: "web" } });
  assert.equal(replicationControllerStrategy.validateUpdate, undefined);
  assert.deepEqual(errors(changed), []);
  replicationControllerStrategy.prepareForUpdate!(changed, old);
  assert.deepEqual(specOf(changed).selector, { app: "web" });
});

Deno.test("replicationControllerStrategy.prepareForCreate() resets the status", () => {
  const obj = { ...rc(), status: { replicas: 7, readyReplicas: 7 } };
  replicationControllerStrategy.prepareForCreate!(obj);
  assert.deepEqual(obj.status, { replicas: 0 });
});

Deno.test("replicationControllerStrategy.validateStatusUpdate() checks the counters", async (t) => {
  const cases: { name: string; status: Record<string, number>; want: string[] }[] = [
    { name: "valid", status: { replicas: 2, readyReplicas: 2, availableReplicas: 1 }, want: [] },
    {
      name: "negative counters (zeros are then above replicas, as upstream says too)",
      status: { replicas: -1, observedGeneration: -2 },
      want: [
        "status.replicas: Invalid value: -1: must be greater than or equal to 0",
        "status.observedGeneration: Invalid value: -2: must be greater than or equal to 0",
        "status.fullyLabeledReplicas: Invalid value: 0: cannot be greater than status.replicas",
        "status.readyReplicas: Invalid value: 0: cannot be greater than status.replicas",
        "status.availableReplicas: Invalid value: 0: cannot be greater than status.replicas",
      ],
    },
    {
      name: "counters above replicas, available above ready",
      status: { replicas: 1, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 3 },
      want: [
        "status.fullyLabeledReplicas: Invalid value: 2: cannot be greater than status.replicas",
        "status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas",
        "status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas",
        "status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas",
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const obj = { ...rc(), status: c.status };
      assert.deepEqual(
        replicationControllerStrategy.validateStatusUpdate!(obj, rc()).map(String),
        c.want,
      );
    });
  }
});

Deno.test("replicationControllerStrategy.warnings() warns on create about names that are not DNS labels", () => {
  const obj = { ...rc(), metadata: { name: "web.v1" } };
  assert.deepEqual(replicationControllerStrategy.warnings!(obj), [
    "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]",
  ]);
  assert.deepEqual(replicationControllerStrategy.warnings!(obj, obj), []);
  assert.deepEqual(replicationControllerStrategy.warnings!(rc()), []);
});

Deno.test("selectorFromSet() matches labels equal on every key, without validating them", () => {
  const selector = selectorFromSet({ app: "web", "bad key!": "x" });
  assert.equal(selector.matches({ app: "web", "bad key!": "x", extra: "1" }), true);
  assert.equal(selector.matches({ app: "web" }), false);
  assert.equal(selectorFromSet({}).empty, true);
  assert.equal(selectorFromSet(undefined).matches({}), true);
});
