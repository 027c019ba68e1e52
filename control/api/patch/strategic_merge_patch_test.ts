import assert from "node:assert/strict";
import {
  any,
  array,
  enumOf,
  field,
  int32,
  intOrString,
  map,
  object,
  quantity,
  requiredField,
  string,
} from "../types/schema.ts";
import { LabelSelector, ObjectMeta } from "../types/meta_v1.ts";
import { Deployment as BuiltInDeployment } from "../types/apps_v1.ts";
import { PATCH_REJECTED_MESSAGE, PatchError } from "./patch_error.ts";
import { applyStrategicMergePatch } from "./strategic_merge_patch.ts";

// Small schemas with the shapes (and patch tags) of upstream's Deployment.
const EnvVar = object("io.k8s.api.core.v1.EnvVar", {
  description: "An environment variable.",
  fields: {
    name: requiredField(string(), { description: "Name." }),
    value: field(string(), { description: "Value." }),
    valueFrom: field(any(), { description: "Source." }),
  },
});
const ContainerPort = object("io.k8s.api.core.v1.ContainerPort", {
  description: "A port.",
  fields: {
    containerPort: requiredField(int32(), { description: "Number." }),
    name: field(string(), { description: "Name." }),
    protocol: field(string(), { description: "Protocol." }),
  },
});
const VolumeMount = object("io.k8s.api.core.v1.VolumeMount", {
  description: "A mount.",
  fields: {
    name: requiredField(string(), { description: "Volume." }),
    mountPath: requiredField(string(), { description: "Path." }),
  },
});
const Container = object("io.k8s.api.core.v1.Container", {
  description: "A container.",
  fields: {
    name: requiredField(string(), { description: "Name." }),
    image: field(string(), { description: "Image." }),
    args: field(array(string()), { description: "Arguments." }),
    env: field(array(EnvVar), {
      description: "Environment.",
      patchStrategy: "merge",
      patchMergeKey: "name",
    }),
    ports: field(array(ContainerPort), {
      description: "Ports.",
      patchStrategy: "merge",
      patchMergeKey: "containerPort",
    }),
    volumeMounts: field(array(VolumeMount), {
      description: "Mounts.",
      patchStrategy: "merge",
      patchMergeKey: "mountPath",
    }),
    resources: field(
      object("io.k8s.api.core.v1.ResourceRequirements", {
        description: "Resources.",
        fields: {
          limits: field(map(quantity()), { description: "Limits." }),
          requests: field(map(quantity()), { description: "Requests." }),
        },
      }),
      { description: "Resources." },
    ),
  },
});
const Volume = object("io.k8s.api.core.v1.Volume", {
  description: "A volume.",
  fields: {
    name: requiredField(string(), { description: "Name." }),
    hostPath: field(
      object("io.k8s.api.core.v1.HostPathVolumeSource", {
        description: "Host path.",
        fields: {
          path: requiredField(string(), { description: "Path." }),
          type: field(string(), { description: "Type." }),
        },
      }),
      { description: "Host path." },
    ),
    emptyDir: field(
      object("io.k8s.api.core.v1.EmptyDirVolumeSource", {
        description: "Empty dir.",
        fields: { medium: field(string(), { description: "Medium." }) },
      }),
      { description: "Empty dir." },
    ),
  },
});
const Toleration = object("io.k8s.api.core.v1.Toleration", {
  description: "A toleration.",
  fields: {
    key: field(string(), { description: "Key." }),
    operator: field(string(), { description: "Operator." }),
    effect: field(string(), { description: "Effect." }),
  },
});
const PodSpec = object("io.k8s.api.core.v1.PodSpec", {
  description: "A pod spec.",
  fields: {
    containers: requiredField(array(Container), {
      description: "Containers.",
      patchStrategy: "merge",
      patchMergeKey: "name",
    }),
    volumes: field(array(Volume), {
      description: "Volumes.",
      patchStrategy: "merge,retainKeys",
      patchMergeKey: "name",
    }),
    tolerations: field(array(Toleration), { description: "Tolerations." }),
    nodeSelector: field(map(string()), { description: "Node selector." }),
    affinity: field(any(), { description: "Affinity." }),
  },
});
const DeploymentStrategy = object("io.k8s.api.apps.v1.DeploymentStrategy", {
  description: "A strategy.",
  fields: {
    type: field(enumOf(["Recreate", "RollingUpdate"]), { description: "Type." }),
    rollingUpdate: field(
      object("io.k8s.api.apps.v1.RollingUpdateDeployment", {
        description: "Rolling update.",
        fields: {
          maxSurge: field(intOrString(), { description: "Surge." }),
          maxUnavailable: field(intOrString(), { description: "Unavailable." }),
        },
      }),
      { description: "Rolling update." },
    ),
  },
});
const DeploymentCondition = object("io.k8s.api.apps.v1.DeploymentCondition", {
  description: "A condition.",
  fields: {
    type: requiredField(string(), { description: "Type." }),
    status: requiredField(string(), { description: "Status." }),
    reason: field(string(), { description: "Reason." }),
  },
});
const Deployment = object("io.k8s.api.apps.v1.Deployment", {
  description: "A deployment.",
  fields: {
    apiVersion: field(string(), { description: "API version." }),
    kind: field(string(), { description: "Kind." }),
    metadata: field(ObjectMeta, { description: "Metadata." }),
    spec: field(
      object("io.k8s.api.apps.v1.DeploymentSpec", {
        description: "Spec.",
        fields: {
          replicas: field(int32(), { description: "Replicas." }),
          selector: field(LabelSelector, { description: "Selector." }),
          strategy: field(DeploymentStrategy, {
            description: "Strategy.",
            patchStrategy: "retainKeys",
          }),
          template: field(
            object("io.k8s.api.core.v1.PodTemplateSpec", {
              description: "Template.",
              fields: {
                metadata: field(ObjectMeta, { description: "Metadata." }),
                spec: field(PodSpec, { description: "Spec." }),
              },
            }),
            { description: "Template." },
          ),
        },
      }),
      { description: "Spec." },
    ),
    status: field(
      object("io.k8s.api.apps.v1.DeploymentStatus", {
        description: "Status.",
        fields: {
          replicas: field(int32(), { description: "Replicas." }),
          conditions: field(array(DeploymentCondition), {
            description: "Conditions.",
            patchStrategy: "merge",
            patchMergeKey: "type",
          }),
        },
      }),
      { description: "Status." },
    ),
  },
});
const Custom = object("example.com.v1.Widget", {
  description: "A kind with free-form parts.",
  fields: {
    metadata: field(ObjectMeta, { description: "Metadata." }),
    raw: field(any(), { description: "Anything." }),
    open: field(
      object("example.com.v1.Open", {
        description: "Keeps unknown fields.",
        preserveUnknownFields: true,
        fields: { known: field(string(), { description: "Known." }) },
      }),
      { description: "Open." },
    ),
  },
});

function deployment(): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "default",
      labels: { app: "web" },
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
      finalizers: ["example.com/a"],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" },
      },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "nginx",
              image: "nginx:1.26",
              args: ["-g", "daemon off;"],
              env: [{ name: "A", value: "1" }, { name: "B", value: "2" }],
              ports: [{ containerPort: 80, protocol: "TCP" }],
            },
            { name: "sidecar", image: "busybox:1.36" },
          ],
          volumes: [{ name: "data", hostPath: { path: "/srv", type: "Directory" } }],
          tolerations: [{ key: "a", operator: "Exists" }],
        },
      },
    },
    status: {
      replicas: 2,
      conditions: [
        { type: "Available", status: "True" },
        { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
      ],
    },
  };
}

function smp(doc: unknown, patch: unknown): Record<string, unknown> {
  return applyStrategicMergePatch(doc, { patch, schema: Deployment }) as Record<string, unknown>;
}

// deno-lint-ignore no-explicit-any
function podSpec(out: Record<string, unknown>): any {
  // deno-lint-ignore no-explicit-any
  return (out as any).spec.template.spec;
}

function names(list: { name: string }[]): string[] {
  return list.map((c) => c.name);
}

function assertPatchError(fn: () => unknown, want: { code: number; message: string }): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PatchError, `expected a PatchError, got ${err}`);
    assert.equal(err.code, want.code);
    assert.equal(err.message, want.message);
    return true;
  });
}

Deno.test("applyStrategicMergePatch() applies kubectl apply's patch", () => {
  const patch = {
    metadata: {
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": '{"new":true}' },
    },
    spec: {
      replicas: 3,
      template: {
        spec: {
          "$setElementOrder/containers": [{ name: "nginx" }],
          containers: [{ image: "nginx:1.27", name: "nginx" }],
        },
      },
    },
  };
  const out = smp(deployment(), patch);
  // deno-lint-ignore no-explicit-any
  const o = out as any;
  assert.equal(o.spec.replicas, 3);
  assert.equal(
    o.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"],
    '{"new":true}',
  );
  assert.deepEqual(names(podSpec(out).containers), ["nginx", "sidecar"]);
  assert.equal(podSpec(out).containers[0].image, "nginx:1.27");
  assert.deepEqual(podSpec(out).containers[0].env, [{ name: "A", value: "1" }, {
    name: "B",
    value: "2",
  }]);
  assert.equal(podSpec(out).containers[1].image, "busybox:1.36");
  assert.equal("$setElementOrder/containers" in podSpec(out), false);
});

Deno.test("applyStrategicMergePatch() changes one image like kubectl set image", () => {
  const out = smp(deployment(), {
    spec: { template: { spec: { containers: [{ name: "nginx", image: "nginx:1.27" }] } } },
  });
  const want = deployment();
  // deno-lint-ignore no-explicit-any
  (want as any).spec.template.spec.containers[0].image = "nginx:1.27";
  assert.deepEqual(out, want);
});

Deno.test("applyStrategicMergePatch() adds the template annotation of kubectl rollout restart", () => {
  const out = smp(deployment(), {
    spec: {
      template: {
        metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2025-06-01T10:00:00Z" } },
      },
    },
  });
  // deno-lint-ignore no-explicit-any
  const meta = (out as any).spec.template.metadata;
  assert.deepEqual(meta, {
    labels: { app: "web" },
    annotations: { "kubectl.kubernetes.io/restartedAt": "2025-06-01T10:00:00Z" },
  });
});

Deno.test("applyStrategicMergePatch() merges label and annotation maps, null deleting", async (t) => {
  const cases = [
    {
      name: "adds a label",
      patch: { metadata: { labels: { tier: "front" } } },
      labels: { app: "web", tier: "front" },
    },
    {
      name: "removes a label",
      patch: { metadata: { labels: { app: null } } },
      labels: {},
    },
    {
      name: "overwrites a label",
      patch: { metadata: { labels: { app: "api" } } },
      labels: { app: "api" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      // deno-lint-ignore no-explicit-any
      assert.deepEqual((smp(deployment(), c.patch) as any).metadata.labels, c.labels);
    });
  }
});

Deno.test("applyStrategicMergePatch() orders a merged list by $setElementOrder", async (t) => {
  const cases = [
    {
      name: "reorders without changes",
      patch: { "$setElementOrder/containers": [{ name: "sidecar" }, { name: "nginx" }] },
      want: ["sidecar", "nginx"],
    },
    {
      name: "places a new item where the order says",
      patch: {
        "$setElementOrder/containers": [{ name: "nginx" }, { name: "init" }, {
          name: "sidecar",
        }],
        containers: [{ name: "init", image: "busybox" }],
      },
      want: ["nginx", "init", "sidecar"],
    },
    {
      name: "puts a server-only item after new items (it preceded none of them)",
      patch: {
        "$setElementOrder/containers": [{ name: "nginx" }, { name: "new" }],
        containers: [{ name: "new", image: "x" }],
      },
      want: ["nginx", "new", "sidecar"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const out = smp(deployment(), { spec: { template: { spec: c.patch } } });
      assert.deepEqual(names(podSpec(out).containers), c.want);
    });
  }
});

Deno.test("applyStrategicMergePatch() puts new list items before the server's without $setElementOrder", () => {
  const out = smp(deployment(), {
    spec: { template: { spec: { containers: [{ name: "debug", image: "busybox" }] } } },
  });
  assert.deepEqual(names(podSpec(out).containers), ["debug", "nginx", "sidecar"]);
});

Deno.test("applyStrategicMergePatch() deletes a container with $patch: delete", () => {
  const out = smp(deployment(), {
    spec: {
      template: {
        spec: {
          "$setElementOrder/containers": [{ name: "nginx" }],
          containers: [{ name: "sidecar", "$patch": "delete" }],
        },
      },
    },
  });
  assert.deepEqual(names(podSpec(out).containers), ["nginx"]);
});

Deno.test("applyStrategicMergePatch() removes an env var and keeps the others", () => {
  const out = smp(deployment(), {
    spec: {
      template: {
        spec: {
          "$setElementOrder/containers": [{ name: "nginx" }, { name: "sidecar" }],
          containers: [{
            name: "nginx",
            "$setElementOrder/env": [{ name: "B" }],
            env: [{ name: "A", "$patch": "delete" }],
          }],
        },
      },
    },
  });
  assert.deepEqual(podSpec(out).containers[0].env, [{ name: "B", value: "2" }]);
});

Deno.test("applyStrategicMergePatch() merges ports by containerPort", async (t) => {
  const cases = [
    {
      name: "updates the port with the same number",
      containers: [{ name: "nginx", ports: [{ containerPort: 80, name: "http" }] }],
      want: [{ containerPort: 80, protocol: "TCP", name: "http" }],
    },
    {
      name: "adds a new port before the live ones",
      containers: [{ name: "nginx", ports: [{ containerPort: 443 }] }],
      want: [{ containerPort: 443 }, { containerPort: 80, protocol: "TCP" }],
    },
    {
      name: "adds a new port in $setElementOrder's place",
      containers: [{
        name: "nginx",
        "$setElementOrder/ports": [{ containerPort: 80 }, { containerPort: 443 }],
        ports: [{ containerPort: 443 }],
      }],
      want: [{ containerPort: 80, protocol: "TCP" }, { containerPort: 443 }],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const out = smp(deployment(), { spec: { template: { spec: { containers: c.containers } } } });
      assert.deepEqual(podSpec(out).containers[0].ports, c.want);
    });
  }
});

Deno.test("applyStrategicMergePatch() merges finalizers as a set", async (t) => {
  const cases = [
    {
      name: "adds a finalizer before the live ones",
      metadata: { finalizers: ["example.com/b"] },
      want: ["example.com/b", "example.com/a"],
    },
    {
      name: "orders by $setElementOrder",
      metadata: {
        "$setElementOrder/finalizers": ["example.com/a", "example.com/b"],
        finalizers: ["example.com/b"],
      },
      want: ["example.com/a", "example.com/b"],
    },
    {
      name: "does not duplicate a present finalizer",
      metadata: { finalizers: ["example.com/a"] },
      want: ["example.com/a"],
    },
    {
      name: "deletes with $deleteFromPrimitiveList",
      metadata: { "$deleteFromPrimitiveList/finalizers": ["example.com/a"] },
      want: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      // deno-lint-ignore no-explicit-any
      const out = smp(deployment(), { metadata: c.metadata }) as any;
      assert.deepEqual(out.metadata.finalizers, c.want);
    });
  }
});

Deno.test("applyStrategicMergePatch() ignores $deleteFromPrimitiveList for an absent list", () => {
  const doc = deployment();
  // deno-lint-ignore no-explicit-any
  delete (doc as any).metadata.finalizers;
  // deno-lint-ignore no-explicit-any
  const out = smp(doc, { metadata: { "$deleteFromPrimitiveList/finalizers": ["x"] } }) as any;
  assert.equal("finalizers" in out.metadata, false);
});

Deno.test("applyStrategicMergePatch() switches the Deployment strategy with $retainKeys", () => {
  const out = smp(deployment(), {
    spec: { strategy: { "$retainKeys": ["type"], rollingUpdate: null, type: "Recreate" } },
  });
  // deno-lint-ignore no-explicit-any
  assert.deepEqual((out as any).spec.strategy, { type: "Recreate" });
});

Deno.test("applyStrategicMergePatch() switches a volume's source in a merge,retainKeys list", () => {
  const out = smp(deployment(), {
    spec: {
      template: {
        spec: {
          "$setElementOrder/volumes": [{ name: "data" }],
          volumes: [{
            "$retainKeys": ["emptyDir", "name"],
            name: "data",
            emptyDir: {},
            hostPath: null,
          }],
        },
      },
    },
  });
  assert.deepEqual(podSpec(out).volumes, [{ name: "data", emptyDir: {} }]);
});

Deno.test("applyStrategicMergePatch() answers retainKeys errors with 400", async (t) => {
  const cases = [
    {
      name: "a patch key the list does not hold",
      strategy: { "$retainKeys": ["type"], rollingUpdate: { maxSurge: 1 } },
    },
    { name: "a list that is not a list", strategy: { "$retainKeys": "type" } },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assertPatchError(() => smp(deployment(), { spec: { strategy: c.strategy } }), {
        code: 400,
        message: "invalid patch format of retainKeys",
      });
    });
  }
});

Deno.test("applyStrategicMergePatch() applies $patch on maps", async (t) => {
  await t.step("replace takes the patch map as sent", () => {
    const doc = deployment();
    podSpec(doc).nodeSelector = { disk: "ssd" };
    const out = smp(doc, {
      spec: { template: { spec: { nodeSelector: { "$patch": "replace", zone: "a", x: null } } } },
    });
    assert.deepEqual(podSpec(out).nodeSelector, { zone: "a", x: null });
  });
  await t.step("replace of an existing map drops its other keys", () => {
    // deno-lint-ignore no-explicit-any
    const out = smp(deployment(), { metadata: { labels: { "$patch": "replace", x: "y" } } }) as any;
    assert.deepEqual(out.metadata.labels, { x: "y" });
  });
  await t.step("delete leaves an empty map", () => {
    // deno-lint-ignore no-explicit-any
    const out = smp(deployment(), { spec: { strategy: { "$patch": "delete" } } }) as any;
    assert.deepEqual(out.spec.strategy, {});
  });
  await t.step("a directive map for an absent key is dropped, even replace", () => {
    for (const directive of ["delete", "replace"]) {
      const out = smp(deployment(), {
        spec: { template: { spec: { nodeSelector: { "$patch": directive, zone: "a" } } } },
      });
      assert.equal("nodeSelector" in podSpec(out), false);
    }
  });
  await t.step("merge is an error", () => {
    assertPatchError(() => smp(deployment(), { metadata: { labels: { "$patch": "merge" } } }), {
      code: 500,
      message: "unknown patch type: merge in map: map[$patch:merge]",
    });
  });
});

Deno.test("applyStrategicMergePatch() applies $patch in merging lists", async (t) => {
  await t.step("a replace item makes the other items the list", () => {
    const out = smp(deployment(), {
      spec: {
        template: {
          spec: { containers: [{ "$patch": "replace" }, { name: "only", image: "x" }] },
        },
      },
    });
    assert.deepEqual(podSpec(out).containers, [{ name: "only", image: "x" }]);
  });
  await t.step("merge is an error", () => {
    assertPatchError(
      () =>
        smp(deployment(), {
          spec: { template: { spec: { containers: [{ name: "nginx", "$patch": "merge" }] } } },
        }),
      { code: 500, message: "merging lists cannot yet be specified in the patch" },
    );
  });
  await t.step("an unknown directive is an error", () => {
    assertPatchError(
      () =>
        smp(deployment(), {
          spec: { template: { spec: { containers: [{ name: "nginx", "$patch": "drop" }] } } },
        }),
      { code: 500, message: "unknown patch type: drop in map: map[$patch:drop name:nginx]" },
    );
  });
  await t.step("delete needs the merge key", () => {
    assertPatchError(
      () =>
        smp(deployment(), {
          spec: { template: { spec: { containers: [{ "$patch": "delete", image: "x" }] } } },
        }),
      {
        code: 500,
        message: "map: map[$patch:delete image:x] does not contain declared merge key: name",
      },
    );
  });
});

Deno.test("applyStrategicMergePatch() reports an item without its merge key like upstream", () => {
  assertPatchError(
    () =>
      smp(deployment(), {
        spec: { template: { spec: { containers: [{ image: "nginx:1.27" }] } } },
      }),
    { code: 500, message: "map: map[image:nginx:1.27] does not contain declared merge key: name" },
  );
});

Deno.test("applyStrategicMergePatch() answers malformed directive keys with 400", async (t) => {
  const cases = [
    {
      name: "$deleteFromPrimitiveList without a field",
      metadata: { "$deleteFromPrimitiveList": ["a"] },
      message: "invalid patch format of primitive list",
    },
    {
      name: "$setElementOrder with a wrong prefix",
      metadata: { "$setElementOrderX/finalizers": ["a"] },
      message: "invalid patch format of setElementOrder list",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assertPatchError(() => smp(deployment(), { metadata: c.metadata }), {
        code: 400,
        message: c.message,
      });
    });
  }
});

Deno.test("applyStrategicMergePatch() rejects a patch list out of $setElementOrder's order", () => {
  assertPatchError(
    () =>
      smp(deployment(), {
        spec: {
          template: {
            spec: {
              "$setElementOrder/containers": [{ name: "sidecar" }, { name: "nginx" }],
              containers: [{ name: "nginx", image: "a" }, { name: "sidecar", image: "b" }],
            },
          },
        },
      }),
    {
      code: 500,
      message:
        "The order in patch list:\n[map[image:a name:nginx] map[image:b name:sidecar]]\n doesn't match $setElementOrder list:\n[map[name:sidecar] map[name:nginx]]\n",
    },
  );
});

Deno.test("applyStrategicMergePatch() replaces lists without a merge strategy", () => {
  const out = smp(deployment(), {
    spec: {
      template: {
        spec: {
          containers: [{ name: "nginx", args: ["-v"] }],
          tolerations: [{ key: "b", operator: "Equal", effect: null }],
        },
      },
    },
  });
  assert.deepEqual(podSpec(out).containers[0].args, ["-v"]);
  assert.deepEqual(podSpec(out).tolerations, [{ key: "b", operator: "Equal", effect: null }]);
});

Deno.test("applyStrategicMergePatch() strips nulls and directives from new values", () => {
  const out = smp(deployment(), {
    spec: {
      template: {
        spec: {
          nodeSelector: { zone: "a", gone: null },
          containers: [{
            name: "nginx",
            volumeMounts: [{ mountPath: "/x", name: "data" }, {
              mountPath: "/y",
              "$patch": "delete",
            }],
          }],
        },
      },
    },
  });
  assert.deepEqual(podSpec(out).nodeSelector, { zone: "a" });
  assert.deepEqual(podSpec(out).containers[0].volumeMounts, [{ mountPath: "/x", name: "data" }]);
});

Deno.test("applyStrategicMergePatch() merges a condition by type", () => {
  const out = smp(deployment(), {
    status: {
      conditions: [{ type: "Available", status: "False", reason: "MinimumReplicasUnavailable" }],
    },
  });
  // deno-lint-ignore no-explicit-any
  assert.deepEqual((out as any).status.conditions, [
    { type: "Available", status: "False", reason: "MinimumReplicasUnavailable" },
    { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
  ]);
});

Deno.test("applyStrategicMergePatch() treats fields the schema lacks like upstream", async (t) => {
  await t.step("an unknown field only in the patch is taken as sent", () => {
    // deno-lint-ignore no-explicit-any
    const out = smp(deployment(), { spec: { paused: true, extra: { a: 1 } } }) as any;
    assert.equal(out.spec.paused, true);
    assert.deepEqual(out.spec.extra, { a: 1 });
  });
  await t.step("an unknown object field on both sides is an error", () => {
    const doc = deployment();
    // deno-lint-ignore no-explicit-any
    (doc as any).spec.extra = { a: 1 };
    assertPatchError(() => smp(doc, { spec: { extra: { b: 2 } } }), {
      code: 500,
      message: 'unable to find api field in struct DeploymentSpec for the json field "extra"',
    });
  });
});

Deno.test("applyStrategicMergePatch() merges without metadata where the schema is any()", async (t) => {
  const doc = {
    metadata: { name: "w" },
    raw: { a: { b: 1, c: 2 }, list: [1, 2], items: [{ name: "x" }] },
    open: { known: "k", extra: { d: 1 }, more: [1] },
  };
  const patch = {
    raw: { a: { c: null, e: 3 }, list: [3], items: [{ name: "y" }] },
    open: { extra: { f: 2 }, more: [2] },
  };
  const want = {
    metadata: { name: "w" },
    raw: { a: { b: 1, e: 3 }, list: [3], items: [{ name: "y" }] },
    open: { known: "k", extra: { d: 1, f: 2 }, more: [2] },
  };
  await t.step("any() and preserveUnknownFields", () => {
    assert.deepEqual(applyStrategicMergePatch(doc, { patch, schema: Custom }), want);
  });
  await t.step("no schema at all", () => {
    assert.deepEqual(applyStrategicMergePatch(doc, { patch }), want);
  });
  await t.step("an any() field of an object schema", () => {
    const out = smp(deployment(), {
      spec: { template: { spec: { affinity: { nodeAffinity: { x: 1 } } } } },
    });
    assert.deepEqual(podSpec(out).affinity, { nodeAffinity: { x: 1 } });
  });
});

Deno.test("applyStrategicMergePatch() answers a list of lists with 422", () => {
  assertPatchError(
    () =>
      applyStrategicMergePatch({ metadata: { finalizers: ["a"] } }, {
        patch: { metadata: { finalizers: [["b"]] } },
        schema: Custom,
      }),
    { code: 500, message: "list element types are not identical: [[a] [[b]]]" },
  );
  assertPatchError(
    () =>
      applyStrategicMergePatch({ metadata: { finalizers: [["a"]] } }, {
        patch: { metadata: { finalizers: [["b"]] } },
        schema: Custom,
      }),
    { code: 422, message: PATCH_REJECTED_MESSAGE },
  );
});

Deno.test("applyStrategicMergePatch() validates the patch body", async (t) => {
  await t.step("null changes nothing", () => {
    const doc = deployment();
    assert.deepEqual(smp(doc, null), doc);
  });
  const shapes = [
    { patch: [], kind: "array" },
    { patch: "x", kind: "string" },
    { patch: 1, kind: "number" },
  ];
  for (const s of shapes) {
    await t.step(`a ${s.kind} is a 400`, () => {
      assertPatchError(() => smp(deployment(), s.patch), {
        code: 400,
        message: `json: cannot unmarshal ${s.kind} into Go value of type map[string]interface {}`,
      });
    });
  }
  await t.step("a patch nesting thousands deep fails fast with 400", () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { spec: deep };
    const started = performance.now();
    assertPatchError(() => smp(deployment(), deep), { code: 400, message: "exceeded max depth" });
    assert.ok(performance.now() - started < 1000);
  });
});

Deno.test("applyStrategicMergePatch() changes neither input and shares nothing with them", () => {
  const doc = deployment();
  const patch = {
    metadata: { labels: { a: "b" } },
    spec: {
      template: {
        spec: {
          containers: [{ name: "debug", image: "busybox", env: [{ name: "X", value: "1" }] }],
          tolerations: [{ key: "t" }],
        },
      },
    },
  };
  const docBefore = structuredClone(doc);
  const patchBefore = structuredClone(patch);
  const out = smp(doc, patch);
  assert.deepEqual(doc, docBefore);
  assert.deepEqual(patch, patchBefore);
  podSpec(out).containers[0].env[0].value = "changed";
  podSpec(out).tolerations[0].key = "changed";
  podSpec(out).containers[1].env[0].value = "changed";
  // deno-lint-ignore no-explicit-any
  (out as any).status.conditions[0].status = "changed";
  assert.deepEqual(doc, docBefore);
  assert.deepEqual(patch, patchBefore);
});

Deno.test("applyStrategicMergePatch() treats __proto__ as a plain key", () => {
  const patch = JSON.parse('{"metadata":{"labels":{"__proto__":"x"}}}');
  // deno-lint-ignore no-explicit-any
  const out = smp(deployment(), patch) as any;
  assert.equal(Object.getPrototypeOf(out.metadata.labels), Object.prototype);
  assert.equal(Object.hasOwn(out.metadata.labels, "__proto__"), true);
});

Deno.test("applyStrategicMergePatch() orders like upstream when one patch deletes and adds", () => {
  // Upstream's result depends on its in-place slice updates (strategicpatch test fixtures).
  const doc = {
    status: {
      conditions: [{ type: "1", status: "a" }, { type: "4", status: "c" }],
    },
  };
  const out = applyStrategicMergePatch(doc, {
    patch: {
      status: {
        "$setElementOrder/conditions": [{ type: "2" }, { type: "3" }],
        conditions: [{ type: "2" }, { type: "3" }, { type: "1", "$patch": "delete" }],
      },
    },
    schema: Deployment,
  });
  assert.deepEqual(out, {
    status: { conditions: [{ type: "4", status: "c" }, { type: "2" }, { type: "3" }] },
  });
});

Deno.test("applyStrategicMergePatch() de-duplicates set lists like upstream", () => {
  const out = applyStrategicMergePatch({ metadata: { finalizers: ["a", "b", "c"] } }, {
    patch: { metadata: { finalizers: ["a", "d"] } },
    schema: Deployment,
  });
  assert.deepEqual(out, { metadata: { finalizers: ["a", "d", "b", "c"] } });
});

Deno.test("applyStrategicMergePatch() patches with the built-in Deployment schema", () => {
  const out = applyStrategicMergePatch(deployment(), {
    patch: {
      spec: {
        strategy: { "$retainKeys": ["type"], rollingUpdate: null, type: "Recreate" },
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "nginx" }, { name: "sidecar" }],
            containers: [{
              name: "nginx",
              image: "nginx:1.27",
              "$setElementOrder/ports": [{ containerPort: 80 }, { containerPort: 443 }],
              ports: [{ containerPort: 443 }],
            }],
            "$setElementOrder/volumes": [{ name: "data" }],
            volumes: [{
              "$retainKeys": ["emptyDir", "name"],
              name: "data",
              emptyDir: {},
              hostPath: null,
            }],
          },
        },
      },
    },
    schema: BuiltInDeployment,
  });
  // deno-lint-ignore no-explicit-any
  const o = out as any;
  assert.deepEqual(o.spec.strategy, { type: "Recreate" });
  assert.deepEqual(names(o.spec.template.spec.containers), ["nginx", "sidecar"]);
  assert.equal(o.spec.template.spec.containers[0].image, "nginx:1.27");
  assert.deepEqual(o.spec.template.spec.containers[0].ports, [
    { containerPort: 80, protocol: "TCP" },
    { containerPort: 443 },
  ]);
  assert.deepEqual(o.spec.template.spec.volumes, [{ name: "data", emptyDir: {} }]);
});
