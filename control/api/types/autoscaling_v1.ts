/**
 * `autoscaling/v1` Scale: the body of the `/scale` subresource of Deployments, ReplicaSets,
 * StatefulSets and ReplicationControllers (what `kubectl scale` and autoscalers read and write).
 * Field numbers from upstream `k8s.io/api/autoscaling/v1`.
 *
 * @module
 */
import { objectFields } from "./meta_v1.ts";
import { field, type Infer, int32, object, requiredField, string } from "./schema.ts";

const AUTOSCALING = "io.k8s.api.autoscaling.v1";

/** The desired scale. */
export const ScaleSpec = object(`${AUTOSCALING}.ScaleSpec`, {
  description: "The desired scale of the scaled object.",
  fields: {
    replicas: field(int32(), {
      description: "Desired number of instances of the scaled object.",
      proto: 1,
    }),
  },
});

/** The observed scale. */
export const ScaleStatus = object(`${AUTOSCALING}.ScaleStatus`, {
  description: "The observed scale of the scaled object.",
  fields: {
    replicas: requiredField(int32(), {
      description: "Observed number of instances of the scaled object.",
      proto: 1,
    }),
    selector: field(string(), {
      description:
        "The label selector of the counted pods, in query-parameter syntax (app=web,tier in (a,b)).",
      proto: 2,
    }),
  },
});

/** The scale of a resource. */
export const Scale = object(`${AUTOSCALING}.Scale`, {
  description: "The scale of a scalable resource: its desired and observed replica counts.",
  gvk: [{ group: "autoscaling", version: "v1", kind: "Scale" }],
  fields: {
    ...objectFields,
    spec: field(ScaleSpec, { description: "The desired scale.", proto: 2 }),
    status: field(ScaleStatus, {
      description: "The observed scale; set by the server.",
      proto: 3,
    }),
  },
});

/** TypeScript type of {@linkcode Scale}. */
export type Scale = Infer<typeof Scale>;
/** TypeScript type of {@linkcode ScaleSpec}. */
export type ScaleSpec = Infer<typeof ScaleSpec>;
/** TypeScript type of {@linkcode ScaleStatus}. */
export type ScaleStatus = Infer<typeof ScaleStatus>;
