import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { defaultStatefulSet, statefulSetStrategy } from "./stateful_set.ts";

function statefulSet(spec: Record<string, unknown> = {}): KubeObject {
  const s: KubeObject = {
    metadata: { name: "db", namespace: "default" },
    spec: {
      serviceName: "db",
      selector: { matchLabels: { app: "db" } },
      template: {
        metadata: { labels: { app: "db" } },
        spec: { containers: [{ name: "db", image: "postgres" }] },
      },
      ...spec,
    },
  };
  statefulSetStrategy.default!(s);
  return s;
}

function errors(obj: KubeObject): string[] {
  return statefulSetStrategy.validate!(obj).map(String);
}

Deno.test("defaultStatefulSet() applies the apps/v1 defaults", () => {
  const spec = statefulSet().spec as Record<string, unknown>;
  assert.equal(spec.replicas, 1);
  assert.equal(spec.podManagementPolicy, "OrderedReady");
  assert.deepEqual(spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { partition: 0 } });
  assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, {
    whenDeleted: "Retain",
    whenScaled: "Retain",
  });
  assert.equal(spec.revisionHistoryLimit, 10);
});

Deno.test("defaultStatefulSet() leaves OnDelete without rollingUpdate and defaults claim templates", () => {
  const s = {
    spec: {
      updateStrategy: { type: "OnDelete" as const },
      persistentVolumeClaimRetentionPolicy: { whenScaled: "Delete" },
      volumeClaimTemplates: [{
        metadata: { name: "data" },
        spec: { accessModes: ["ReadWriteOnce"] },
      }],
    },
  };
  defaultStatefulSet(s as never);
  assert.deepEqual(s.spec.updateStrategy, { type: "OnDelete" });
  assert.deepEqual(s.spec.persistentVolumeClaimRetentionPolicy, {
    whenScaled: "Delete",
    whenDeleted: "Retain",
  });
  assert.deepEqual(s.spec.volumeClaimTemplates[0], {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data" },
    spec: { accessModes: ["ReadWriteOnce"], volumeMode: "Filesystem" },
    status: { phase: "Pending" },
  });
});

Deno.test("statefulSetStrategy names are DNS labels", () => {
  assert.equal(statefulSetStrategy.nameRule, "label");
});

Deno.test("statefulSetStrategy.validate() reports errors as Kubernetes prints them", async (t) => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    { name: "valid", obj: statefulSet(), want: [] },
    {
      name: "the pod spec itself is not validated, as upstream",
      obj: statefulSet({
        template: { metadata: { labels: { app: "db" } }, spec: { containers: [] } },
      }),
      want: [],
    },
    {
      name: "selector mismatch and bad template label",
      obj: statefulSet({
        template: { metadata: { labels: { app: "web", "x/y/z": "1" } }, spec: { containers: [] } },
      }),
      want: [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web", "x/y/z":"1"}: `selector` does not match template `labels`',
        "spec.template.labels: Invalid value: \"x/y/z\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
    },
    {
      name: "OnDelete with rollingUpdate",
      obj: statefulSet({ updateStrategy: { type: "OnDelete", rollingUpdate: { partition: 2 } } }),
      want: [
        "spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:2, MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'",
      ],
    },
    {
      name: "negative partition and maxUnavailable 0",
      obj: statefulSet({ updateStrategy: { rollingUpdate: { partition: -1, maxUnavailable: 0 } } }),
      want: [
        "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0",
        'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: cannot be 0',
      ],
    },
    {
      name: "unknown retention policy",
      obj: statefulSet({ persistentVolumeClaimRetentionPolicy: { whenDeleted: "Keep" } }),
      want: [
        'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"',
      ],
    },
    {
      name: "negative counts",
      obj: statefulSet({ replicas: -1, minReadySeconds: -1, ordinals: { start: -3 } }),
      want: [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0",
        "spec.ordinals.start: Invalid value: -3: must be greater than or equal to 0",
      ],
    },
    {
      name: "empty selector",
      obj: statefulSet({ selector: {} }),
      want: [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset",
      ],
    },
    {
      name: "restartPolicy and activeDeadlineSeconds",
      obj: statefulSet({
        template: {
          metadata: { labels: { app: "db" } },
          spec: { restartPolicy: "OnFailure", activeDeadlineSeconds: 9, containers: [] },
        },
      }),
      want: [
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported",
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(errors(c.obj), c.want));
  }
});

Deno.test("statefulSetStrategy.validateUpdate() allows only some spec fields to change", async (t) => {
  const old = statefulSet();
  const forbidden =
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    {
      name: "replicas, template, strategy, minReadySeconds, ordinals and retention",
      obj: statefulSet({
        replicas: 3,
        minReadySeconds: 5,
        ordinals: { start: 1 },
        updateStrategy: { type: "OnDelete" },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete" },
        template: {
          metadata: { labels: { app: "db" } },
          spec: { containers: [{ name: "db", image: "postgres:17" }] },
        },
      }),
      want: [],
    },
    { name: "serviceName", obj: statefulSet({ serviceName: "other" }), want: [forbidden] },
    {
      name: "volumeClaimTemplates",
      obj: statefulSet({ volumeClaimTemplates: [{ metadata: { name: "data" } }] }),
      want: [forbidden],
    },
    {
      name: "podManagementPolicy",
      obj: statefulSet({ podManagementPolicy: "Parallel" }),
      want: [forbidden],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(statefulSetStrategy.validateUpdate!(c.obj, old).map(String), c.want);
    });
  }
});

Deno.test("statefulSetStrategy drops the alpha maxUnavailable unless already stored", () => {
  const created = statefulSet({ updateStrategy: { rollingUpdate: { maxUnavailable: 2 } } });
  statefulSetStrategy.prepareForCreate!(created);
  const ru = (created.spec as { updateStrategy: { rollingUpdate: Record<string, unknown> } })
    .updateStrategy.rollingUpdate;
  assert.deepEqual(ru, { partition: 0 });
  const stored = statefulSet({ updateStrategy: { rollingUpdate: { maxUnavailable: 1 } } });
  const updated = statefulSet({ updateStrategy: { rollingUpdate: { maxUnavailable: 3 } } });
  statefulSetStrategy.prepareForUpdate!(updated, stored);
  assert.equal(
    (updated.spec as { updateStrategy: { rollingUpdate: { maxUnavailable: number } } })
      .updateStrategy.rollingUpdate.maxUnavailable,
    3,
  );
});

Deno.test("statefulSetStrategy.validateStatusUpdate() checks the counters", () => {
  const obj = { ...statefulSet(), status: { replicas: 2, readyReplicas: 1, availableReplicas: 2 } };
  const old = { ...statefulSet(), status: { replicas: 2, collisionCount: 1 } };
  assert.deepEqual(statefulSetStrategy.validateStatusUpdate!(obj, old).map(String), [
    "status.availableReplicas: Invalid value: 2: cannot be greater than status.readyReplicas",
    "status.collisionCount: Invalid value: 0: cannot be decremented",
  ]);
});
