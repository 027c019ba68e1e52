/**
 * The plainest ReplicaSets and Deployments, as controller tests create them: pods labelled
 * `app: <name>` (the selector) with one container `main`.
 *
 * @module
 */
import type { Deployment, ReplicaSet } from "../../control/api/types/apps_v1.ts";
import type { PodTemplateSpec } from "../../control/api/types/core_v1_pod.ts";

/** Options of {@linkcode testReplicaSet} and {@linkcode testDeployment}. */
export interface TestWorkloadOptions {
  readonly replicas: number;
  /** @default {"default"} */
  readonly namespace?: string;
  /** The container's image. @default {"busybox"} */
  readonly image?: string;
  /** Pod labels besides `app: <name>`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Set when above 0. */
  readonly minReadySeconds?: number;
}

function spec(name: string, options: TestWorkloadOptions) {
  const template: PodTemplateSpec = {
    metadata: { labels: { app: name, ...options.labels } },
    spec: { containers: [{ name: "main", image: options.image ?? "busybox" }] },
  };
  return {
    replicas: options.replicas,
    ...(options.minReadySeconds ? { minReadySeconds: options.minReadySeconds } : {}),
    selector: { matchLabels: { app: name } },
    template,
  };
}

/** A ReplicaSet `name` of `options.replicas` pods labelled `app: <name>`. */
export function testReplicaSet(name: string, options: TestWorkloadOptions): ReplicaSet {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { namespace: options.namespace ?? "default", name },
    spec: spec(name, options),
  };
}

/** A Deployment `name` of `options.replicas` pods labelled `app: <name>`. */
export function testDeployment(name: string, options: TestWorkloadOptions): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { namespace: options.namespace ?? "default", name },
    spec: spec(name, options),
  };
}
