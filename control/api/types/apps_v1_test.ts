import assert from "node:assert/strict";
import {
  ControllerRevision,
  DaemonSet,
  DaemonSetSpec,
  DaemonSetStatus,
  Deployment,
  DeploymentCondition,
  DeploymentSpec,
  DeploymentStatus,
  DeploymentStrategy,
  ReplicaSet,
  ReplicaSetSpec,
  ReplicaSetStatus,
  RollingUpdateStatefulSetStrategy,
  StatefulSet,
  StatefulSetSpec,
  StatefulSetStatus,
} from "./apps_v1.ts";
import { LabelSelector } from "./meta_v1.ts";
import type { ArraySchema, Field, ObjectSchema } from "./schema.ts";

type Fields = Record<string, Field>;

function protos(schema: ObjectSchema): Record<string, number | undefined> {
  return Object.fromEntries(
    Object.entries(schema.fields as Fields).map(([k, f]) => [k, f.proto]),
  );
}

function requiredFields(schema: ObjectSchema): string[] {
  return Object.entries(schema.fields as Fields).filter(([, f]) => f.required).map(([k]) => k)
    .sort();
}

Deno.test("apps/v1 kinds carry their group, version, kind and definition names", async (t) => {
  const cases: [ObjectSchema, string][] = [
    [Deployment, "Deployment"],
    [ReplicaSet, "ReplicaSet"],
    [StatefulSet, "StatefulSet"],
    [DaemonSet, "DaemonSet"],
    [ControllerRevision, "ControllerRevision"],
  ];
  for (const [schema, kind] of cases) {
    await t.step(kind, () => {
      assert.equal(schema.name, `io.k8s.api.apps.v1.${kind}`);
      assert.deepEqual(schema.gvk, [{ group: "apps", version: "v1", kind }]);
      assert.deepEqual(Object.keys(schema.fields).slice(0, 3), ["apiVersion", "kind", "metadata"]);
    });
  }
});

Deno.test("apps/v1 specs and statuses carry upstream field numbers and required fields", async (t) => {
  const cases: {
    schema: ObjectSchema;
    protos: Record<string, number>;
    required: string[];
  }[] = [
    {
      schema: DeploymentSpec,
      protos: {
        replicas: 1,
        selector: 2,
        template: 3,
        strategy: 4,
        minReadySeconds: 5,
        revisionHistoryLimit: 6,
        paused: 7,
        progressDeadlineSeconds: 9,
      },
      required: ["selector", "template"],
    },
    {
      schema: DeploymentStatus,
      protos: {
        observedGeneration: 1,
        replicas: 2,
        updatedReplicas: 3,
        readyReplicas: 7,
        availableReplicas: 4,
        unavailableReplicas: 5,
        terminatingReplicas: 9,
        conditions: 6,
        collisionCount: 8,
      },
      required: [],
    },
    {
      schema: DeploymentCondition,
      protos: {
        type: 1,
        status: 2,
        lastUpdateTime: 6,
        lastTransitionTime: 7,
        reason: 4,
        message: 5,
      },
      required: ["status", "type"],
    },
    {
      schema: StatefulSetSpec,
      protos: {
        replicas: 1,
        selector: 2,
        template: 3,
        volumeClaimTemplates: 4,
        serviceName: 5,
        podManagementPolicy: 6,
        updateStrategy: 7,
        revisionHistoryLimit: 8,
        minReadySeconds: 9,
        persistentVolumeClaimRetentionPolicy: 10,
        ordinals: 11,
      },
      required: ["selector", "template"],
    },
    {
      schema: StatefulSetStatus,
      protos: {
        observedGeneration: 1,
        replicas: 2,
        readyReplicas: 3,
        currentReplicas: 4,
        updatedReplicas: 5,
        currentRevision: 6,
        updateRevision: 7,
        collisionCount: 9,
        conditions: 10,
        availableReplicas: 11,
      },
      required: ["replicas"],
    },
    {
      schema: RollingUpdateStatefulSetStrategy,
      protos: { partition: 1, maxUnavailable: 2 },
      required: [],
    },
    {
      schema: DaemonSetSpec,
      protos: {
        selector: 1,
        template: 2,
        updateStrategy: 3,
        minReadySeconds: 4,
        revisionHistoryLimit: 6,
      },
      required: ["selector", "template"],
    },
    {
      schema: DaemonSetStatus,
      protos: {
        currentNumberScheduled: 1,
        numberMisscheduled: 2,
        desiredNumberScheduled: 3,
        numberReady: 4,
        observedGeneration: 5,
        updatedNumberScheduled: 6,
        numberAvailable: 7,
        numberUnavailable: 8,
        collisionCount: 9,
        conditions: 10,
      },
      required: [
        "currentNumberScheduled",
        "desiredNumberScheduled",
        "numberMisscheduled",
        "numberReady",
      ],
    },
    {
      schema: ReplicaSetSpec,
      protos: { replicas: 1, minReadySeconds: 4, selector: 2, template: 3 },
      required: ["selector"],
    },
    {
      schema: ReplicaSetStatus,
      protos: {
        replicas: 1,
        fullyLabeledReplicas: 2,
        readyReplicas: 4,
        availableReplicas: 5,
        terminatingReplicas: 7,
        observedGeneration: 3,
        conditions: 6,
      },
      required: ["replicas"],
    },
    {
      schema: ControllerRevision,
      protos: { metadata: 1, data: 2, revision: 3 },
      required: ["revision"],
    },
  ];
  for (const c of cases) {
    await t.step(c.schema.name, () => {
      const actual = protos(c.schema);
      for (const [k, n] of Object.entries(c.protos)) assert.equal(actual[k], n, k);
      assert.deepEqual(requiredFields(c.schema), c.required);
    });
  }
});

Deno.test("DeploymentSpec.strategy uses the retainKeys patch strategy", () => {
  assert.equal(DeploymentSpec.fields.strategy.patchStrategy, "retainKeys");
  assert.equal(DeploymentSpec.fields.strategy.schema, DeploymentStrategy);
  assert.deepEqual(DeploymentStrategy.fields.type.schema.enum, ["Recreate", "RollingUpdate"]);
  assert.equal(DeploymentSpec.fields.selector.schema, LabelSelector);
});

Deno.test("apps/v1 conditions are map lists keyed by type that merge by type", async (t) => {
  const statuses: ObjectSchema[] = [
    DeploymentStatus,
    StatefulSetStatus,
    DaemonSetStatus,
    ReplicaSetStatus,
  ];
  for (const status of statuses) {
    await t.step(status.name, () => {
      const f = (status.fields as Fields).conditions!;
      const list = f.schema as ArraySchema;
      assert.equal(list.listType, "map");
      assert.deepEqual(list.listMapKeys, ["type"]);
      assert.equal(f.patchStrategy, "merge");
      assert.equal(f.patchMergeKey, "type");
    });
  }
});

Deno.test("StatefulSetSpec holds atomic volume claim templates and enums of its policies", () => {
  const list = StatefulSetSpec.fields.volumeClaimTemplates.schema;
  assert.equal(list.listType, "atomic");
  assert.equal(list.items.name, "io.k8s.api.core.v1.PersistentVolumeClaim");
  assert.deepEqual(StatefulSetSpec.fields.podManagementPolicy.schema.enum, [
    "OrderedReady",
    "Parallel",
  ]);
  // The retention policy type has no +enum marker upstream: validated by the strategy.
  const retention = StatefulSetSpec.fields.persistentVolumeClaimRetentionPolicy.schema;
  assert.equal(retention.fields.whenDeleted.schema.enum, undefined);
});

Deno.test("ControllerRevision.data is a RawExtension", () => {
  const data = ControllerRevision.fields.data.schema;
  assert.equal(data.type, "any");
  assert.equal(data.name, "io.k8s.apimachinery.pkg.runtime.RawExtension");
  assert.equal(ControllerRevision.fields.revision.schema.format, "int64");
});
