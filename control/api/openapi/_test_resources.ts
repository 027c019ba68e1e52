/**
 * Small kinds for the OpenAPI tests: a Deployment with status and scale, a Pod with log and
 * exec, a cluster-scoped Namespace. Not the real schemas (those live in `types/`).
 *
 * @module
 */
import { LabelSelector, objectFields, ObjectMeta } from "../types/meta_v1.ts";
import {
  any,
  array,
  bytes,
  enumOf,
  field,
  int32,
  intOrString,
  map,
  object,
  type ObjectSchema,
  quantity,
  requiredField,
  string,
  time,
} from "../types/schema.ts";
import type { OpenApiResource } from "./types.ts";

function d(description: string): { description: string } {
  return { description };
}

export const ContainerPort: ObjectSchema = object("io.k8s.api.core.v1.ContainerPort", {
  description: "A port of a container.",
  fields: {
    containerPort: requiredField(int32(), { ...d("The port number."), proto: 3 }),
    protocol: field(enumOf(["TCP", "UDP", "SCTP"]), { ...d("The protocol."), default: "TCP" }),
  },
});

export const Container: ObjectSchema = object("io.k8s.api.core.v1.Container", {
  description: "A container of a pod.",
  fields: {
    name: requiredField(string(), d("The container name.")),
    image: field(string(), d("The image.")),
    ports: field(
      array(ContainerPort, { listType: "map", listMapKeys: ["containerPort", "protocol"] }),
      {
        ...d("Ports to expose."),
        patchStrategy: "merge",
        patchMergeKey: "containerPort",
      },
    ),
    resources: field(map(quantity()), d("Resource limits.")),
  },
});

export const PodSpec: ObjectSchema = object("io.k8s.api.core.v1.PodSpec", {
  description: "What a pod runs.",
  fields: {
    containers: requiredField(array(Container), {
      ...d("The containers."),
      patchStrategy: "merge",
      patchMergeKey: "name",
    }),
    nodeSelector: field(map(string(), { mapType: "atomic" }), d("Node labels to match.")),
  },
});

export const Pod: ObjectSchema = object("io.k8s.api.core.v1.Pod", {
  description: "A group of containers.",
  gvk: [{ group: "", version: "v1", kind: "Pod" }],
  fields: {
    ...objectFields,
    spec: field(PodSpec, d("The desired state.")),
    status: field(
      object("io.k8s.api.core.v1.PodStatus", {
        description: "The observed state.",
        fields: { startTime: field(time(), d("When the pod started.")) },
      }),
      d("The observed state."),
    ),
  },
});

export const Namespace: ObjectSchema = object("io.k8s.api.core.v1.Namespace", {
  description: "A scope for names.",
  gvk: [{ group: "", version: "v1", kind: "Namespace" }],
  fields: { ...objectFields },
});

export const Secret: ObjectSchema = object("io.k8s.api.core.v1.Secret", {
  description: "Secret data.",
  gvk: [{ group: "", version: "v1", kind: "Secret" }],
  fields: { ...objectFields, data: field(map(bytes()), d("The data, base64.")) },
});

export const Scale: ObjectSchema = object("io.k8s.api.autoscaling.v1.Scale", {
  description: "A scaling request.",
  gvk: [{ group: "autoscaling", version: "v1", kind: "Scale" }],
  fields: {
    ...objectFields,
    spec: field(
      object("io.k8s.api.autoscaling.v1.ScaleSpec", {
        description: "Desired scale.",
        fields: { replicas: field(int32(), d("Desired replicas.")) },
      }),
      d("Desired scale."),
    ),
  },
});

export const Deployment: ObjectSchema = object("io.k8s.api.apps.v1.Deployment", {
  description: "Declarative updates of pods.",
  gvk: [{ group: "apps", version: "v1", kind: "Deployment" }],
  fields: {
    ...objectFields,
    spec: field(
      object("io.k8s.api.apps.v1.DeploymentSpec", {
        description: "The desired state of a Deployment.",
        fields: {
          replicas: field(int32({ minimum: 0 }), d("Desired pods.")),
          selector: requiredField(LabelSelector, d("Selects the pods.")),
          template: requiredField(
            object("io.k8s.api.core.v1.PodTemplateSpec", {
              description: "A pod template.",
              fields: {
                metadata: field(ObjectMeta, d("Metadata.")),
                spec: field(PodSpec, d("Spec.")),
              },
            }),
            d("The pod template."),
          ),
          maxSurge: field(intOrString(), d("Extra pods during a rollout.")),
          extra: field(any({ name: "io.k8s.apimachinery.pkg.runtime.RawExtension" }), d("Raw.")),
        },
      }),
      d("The desired state."),
    ),
  },
});

const ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export const RESOURCES: readonly OpenApiResource[] = [
  {
    group: "apps",
    version: "v1",
    kind: "Deployment",
    resource: "deployments",
    namespaced: true,
    verbs: ALL,
    schema: Deployment,
    subresources: [
      {
        name: "status",
        gvk: { group: "apps", version: "v1", kind: "Deployment" },
        schema: Deployment,
        verbs: ["get", "patch", "update"],
      },
      {
        name: "scale",
        gvk: { group: "autoscaling", version: "v1", kind: "Scale" },
        schema: Scale,
        verbs: ["get", "patch", "update"],
      },
    ],
  },
  {
    group: "",
    version: "v1",
    kind: "Pod",
    resource: "pods",
    namespaced: true,
    verbs: ALL,
    schema: Pod,
    subresources: [
      { name: "log", gvk: { group: "", version: "v1", kind: "Pod" }, verbs: ["get"] },
      {
        name: "exec",
        gvk: { group: "", version: "v1", kind: "PodExecOptions" },
        verbs: ["create", "get"],
      },
    ],
  },
  {
    group: "",
    version: "v1",
    kind: "Namespace",
    resource: "namespaces",
    namespaced: false,
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    schema: Namespace,
    subresources: [],
  },
  {
    group: "",
    version: "v1",
    kind: "Secret",
    resource: "secrets",
    namespaced: true,
    verbs: ALL,
    schema: Secret,
    subresources: [],
  },
];

/** Every `$ref` in `doc` (walks the whole value). */
export function refsOf(doc: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "$ref" && typeof x === "string") out.push(x);
        else stack.push(x);
      }
    }
  }
  return out;
}
