/**
 * Builders of pods and nodes for the scheduler's tests (upstream `st.MakePod()` /
 * `st.MakeNode()`, as plain option objects).
 *
 * @module
 */
import type { Taint, Toleration } from "../api/types/core_v1_common.ts";
import type { ContainerImage, Node } from "../api/types/core_v1_node.ts";
import type { Affinity, Container, ContainerPort, Pod } from "../api/types/core_v1_pod.ts";

/** Options of {@linkcode testPod}. */
export interface TestPodOptions {
  readonly name?: string;
  readonly namespace?: string;
  /** @default {`uid-<name>`} */
  readonly uid?: string;
  readonly nodeName?: string;
  /** Requests of the single default container (ignored when `containers` is given). */
  readonly requests?: Record<string, string>;
  readonly containers?: Container[];
  readonly initContainers?: Container[];
  readonly labels?: Record<string, string>;
  readonly nodeSelector?: Record<string, string>;
  readonly affinity?: Affinity;
  readonly tolerations?: Toleration[];
  readonly priority?: number;
  readonly overhead?: Record<string, string>;
  /** Host ports of the single default container. */
  readonly ports?: ContainerPort[];
  /** Image of the single default container. */
  readonly image?: string;
  readonly nominatedNodeName?: string;
}

/** A pod with one container `c` (unless `containers` is given). */
export function testPod(options: TestPodOptions = {}): Pod {
  const name = options.name ?? "pod";
  const container: Container = {
    name: "c",
    ...options.image === undefined ? {} : { image: options.image },
    ...options.requests === undefined ? {} : { resources: { requests: options.requests } },
    ...options.ports === undefined ? {} : { ports: options.ports },
  };
  const spec: Pod["spec"] = {
    containers: options.containers ?? [container],
    ...options.initContainers === undefined ? {} : { initContainers: options.initContainers },
    ...options.nodeName === undefined ? {} : { nodeName: options.nodeName },
    ...options.nodeSelector === undefined ? {} : { nodeSelector: options.nodeSelector },
    ...options.affinity === undefined ? {} : { affinity: options.affinity },
    ...options.tolerations === undefined ? {} : { tolerations: options.tolerations },
    ...options.priority === undefined ? {} : { priority: options.priority },
    ...options.overhead === undefined ? {} : { overhead: options.overhead },
  };
  return {
    metadata: {
      name,
      namespace: options.namespace ?? "default",
      uid: options.uid ?? `uid-${name}`,
      ...options.labels === undefined ? {} : { labels: options.labels },
    },
    spec,
    ...options.nominatedNodeName === undefined
      ? {}
      : { status: { nominatedNodeName: options.nominatedNodeName } },
  };
}

/** Options of {@linkcode testNode}. */
export interface TestNodeOptions {
  readonly name?: string;
  readonly labels?: Record<string, string>;
  readonly taints?: Taint[];
  readonly unschedulable?: boolean;
  /** @default {{ cpu: "4", memory: "8Gi", pods: "110" }} */
  readonly allocatable?: Record<string, string>;
  readonly images?: ContainerImage[];
}

/** A node with 4 CPUs, 8Gi and room for 110 pods unless told otherwise. */
export function testNode(options: TestNodeOptions = {}): Node {
  const name = options.name ?? "node";
  return {
    metadata: {
      name,
      labels: { "kubernetes.io/hostname": name, ...options.labels },
    },
    spec: {
      ...options.taints === undefined ? {} : { taints: options.taints },
      ...options.unschedulable === undefined ? {} : { unschedulable: options.unschedulable },
    },
    status: {
      allocatable: options.allocatable ?? { cpu: "4", memory: "8Gi", pods: "110" },
      ...options.images === undefined ? {} : { images: options.images },
    },
  };
}
