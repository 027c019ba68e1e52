/**
 * The resources skiff's components use, as {@linkcode ApiResource} constants for
 * `client.resource(…)`: each names its group, version, plural resource, kind and scope, and
 * carries the object's TypeScript type, so `client.resource(PODS)` is a `ResourceClient<Pod>`.
 *
 * @example Describe another resource
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiResource, apiVersionOf, PODS } from "./resources.ts";
 *
 * const widgets = apiResource({
 *   group: "example.com",
 *   version: "v1",
 *   resource: "widgets",
 *   kind: "Widget",
 *   namespaced: true,
 * });
 * assert.equal(apiVersionOf(widgets), "example.com/v1");
 * assert.equal(apiVersionOf(PODS), "v1");
 * ```
 *
 * @module
 */
import type {
  ControllerRevision,
  DaemonSet,
  Deployment,
  ReplicaSet,
  StatefulSet,
} from "../api/types/apps_v1.ts";
import type { CronJob, Job } from "../api/types/batch_v1.ts";
import type { Lease } from "../api/types/coordination_v1.ts";
import type { ConfigMap, Secret, ServiceAccount } from "../api/types/core_v1_config.ts";
import type { Event as CoreEvent } from "../api/types/core_v1_event.ts";
import type { Namespace } from "../api/types/core_v1_namespace.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Binding, Pod } from "../api/types/core_v1_pod.ts";
import type { LimitRange, ResourceQuota } from "../api/types/core_v1_policy.ts";
import type { ReplicationController } from "../api/types/core_v1_replication_controller.ts";
import type { Endpoints, Service } from "../api/types/core_v1_service.ts";
import type { PersistentVolume, PersistentVolumeClaim } from "../api/types/core_v1_storage.ts";
import type { EndpointSlice } from "../api/types/discovery_v1.ts";
import type { Event as EventsV1Event } from "../api/types/events_v1.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { NetworkPolicy } from "../api/types/networking_v1.ts";
import type { RuntimeClass } from "../api/types/node_v1.ts";
import type { PodDisruptionBudget } from "../api/types/policy_v1.ts";
import type { PriorityClass } from "../api/types/scheduling_v1.ts";
import type { StorageClass } from "../api/types/storage_v1.ts";

/**
 * One REST resource: where it lives (`group`, `version`, plural `resource`), the `kind` of
 * its objects and whether they are namespaced. `T` is the objects' TypeScript type (only a
 * type: it costs nothing at run time).
 */
export interface ApiResource<T extends KubeObject = KubeObject> {
  /** `""` for the core group. */
  readonly group: string;
  readonly version: string;
  /** The plural, lower-case name in URLs: `pods`, `endpointslices`. */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Never set: carries `T`. */
  readonly __object?: T;
}

/** What {@linkcode apiResource} takes. */
export interface ApiResourceInit {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** An {@linkcode ApiResource} whose objects are typed `T`; frozen. */
export function apiResource<T extends KubeObject = KubeObject>(
  init: ApiResourceInit,
): ApiResource<T> {
  return Object.freeze({
    group: init.group,
    version: init.version,
    resource: init.resource,
    kind: init.kind,
    namespaced: init.namespaced,
  });
}

/** The `apiVersion` of the resource's objects: `v1`, `apps/v1`. */
export function apiVersionOf(resource: ApiResourceInit): string {
  return resource.group === "" ? resource.version : `${resource.group}/${resource.version}`;
}

/** `pods`, `deployments.apps`: the group-qualified name errors and RBAC use. */
export function groupResourceOf(resource: ApiResourceInit): string {
  return resource.group === "" ? resource.resource : `${resource.resource}.${resource.group}`;
}

function core<T extends KubeObject>(
  resource: string,
  kind: string,
  namespaced = true,
): ApiResource<T> {
  return apiResource<T>({ group: "", version: "v1", resource, kind, namespaced });
}

function grouped<T extends KubeObject>(
  groupVersion: readonly [string, string],
  def: { readonly resource: string; readonly kind: string; readonly namespaced?: boolean },
): ApiResource<T> {
  const [group, version] = groupVersion;
  return apiResource<T>({
    group,
    version,
    resource: def.resource,
    kind: def.kind,
    namespaced: def.namespaced ?? true,
  });
}

const APPS = ["apps", "v1"] as const;
const BATCH = ["batch", "v1"] as const;

/** `v1` Pods. */
export const PODS: ApiResource<Pod> = core("pods", "Pod");
/** `v1` Nodes (cluster-scoped). */
export const NODES: ApiResource<Node> = core("nodes", "Node", false);
/** `v1` Namespaces (cluster-scoped). */
export const NAMESPACES: ApiResource<Namespace> = core("namespaces", "Namespace", false);
/** `v1` Services. */
export const SERVICES: ApiResource<Service> = core("services", "Service");
/** `v1` Endpoints (the legacy object). */
export const ENDPOINTS: ApiResource<Endpoints> = core("endpoints", "Endpoints");
/** `v1` ConfigMaps. */
export const CONFIG_MAPS: ApiResource<ConfigMap> = core("configmaps", "ConfigMap");
/** `v1` Secrets. */
export const SECRETS: ApiResource<Secret> = core("secrets", "Secret");
/** `v1` ServiceAccounts. */
export const SERVICE_ACCOUNTS: ApiResource<ServiceAccount> = core(
  "serviceaccounts",
  "ServiceAccount",
);
/** `v1` Events, the core kind `kubectl describe` shows. */
export const CORE_EVENTS: ApiResource<CoreEvent> = core("events", "Event");
/** `v1` PersistentVolumeClaims. */
export const PERSISTENT_VOLUME_CLAIMS: ApiResource<PersistentVolumeClaim> = core(
  "persistentvolumeclaims",
  "PersistentVolumeClaim",
);
/** `v1` PersistentVolumes (cluster-scoped). */
export const PERSISTENT_VOLUMES: ApiResource<PersistentVolume> = core(
  "persistentvolumes",
  "PersistentVolume",
  false,
);
/** `v1` ResourceQuotas. */
export const RESOURCE_QUOTAS: ApiResource<ResourceQuota> = core("resourcequotas", "ResourceQuota");
/** `v1` LimitRanges. */
export const LIMIT_RANGES: ApiResource<LimitRange> = core("limitranges", "LimitRange");
/** `v1` ReplicationControllers (the predecessor of ReplicaSets). */
export const REPLICATION_CONTROLLERS: ApiResource<ReplicationController> = core(
  "replicationcontrollers",
  "ReplicationController",
);
/** `v1` Bindings (create-only; prefer the pods/binding subresource). */
export const BINDINGS: ApiResource<Binding> = core("bindings", "Binding");

/** `apps/v1` Deployments. */
export const DEPLOYMENTS: ApiResource<Deployment> = grouped(APPS, {
  resource: "deployments",
  kind: "Deployment",
});
/** `apps/v1` ReplicaSets. */
export const REPLICA_SETS: ApiResource<ReplicaSet> = grouped(APPS, {
  resource: "replicasets",
  kind: "ReplicaSet",
});
/** `apps/v1` StatefulSets. */
export const STATEFUL_SETS: ApiResource<StatefulSet> = grouped(APPS, {
  resource: "statefulsets",
  kind: "StatefulSet",
});
/** `apps/v1` DaemonSets. */
export const DAEMON_SETS: ApiResource<DaemonSet> = grouped(APPS, {
  resource: "daemonsets",
  kind: "DaemonSet",
});
/** `apps/v1` ControllerRevisions. */
export const CONTROLLER_REVISIONS: ApiResource<ControllerRevision> = grouped(APPS, {
  resource: "controllerrevisions",
  kind: "ControllerRevision",
});
/** `batch/v1` Jobs. */
export const JOBS: ApiResource<Job> = grouped(BATCH, { resource: "jobs", kind: "Job" });
/** `batch/v1` CronJobs. */
export const CRON_JOBS: ApiResource<CronJob> = grouped(BATCH, {
  resource: "cronjobs",
  kind: "CronJob",
});
/** `coordination.k8s.io/v1` Leases (leader election, node heartbeats). */
export const LEASES: ApiResource<Lease> = grouped(["coordination.k8s.io", "v1"], {
  resource: "leases",
  kind: "Lease",
});
/** `discovery.k8s.io/v1` EndpointSlices. */
export const ENDPOINT_SLICES: ApiResource<EndpointSlice> = grouped(["discovery.k8s.io", "v1"], {
  resource: "endpointslices",
  kind: "EndpointSlice",
});
/** `events.k8s.io/v1` Events, the kind new components write. */
export const EVENTS: ApiResource<EventsV1Event> = grouped(["events.k8s.io", "v1"], {
  resource: "events",
  kind: "Event",
});
/**
 * `apiextensions.k8s.io/v1` CustomResourceDefinitions, for clients that follow which custom
 * resources the server serves (read them as plain objects or metadata).
 */
export const CUSTOM_RESOURCE_DEFINITIONS: ApiResource = grouped(["apiextensions.k8s.io", "v1"], {
  resource: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  namespaced: false,
});

/** `networking.k8s.io/v1` NetworkPolicies. */
export const NETWORK_POLICIES: ApiResource<NetworkPolicy> = grouped(["networking.k8s.io", "v1"], {
  resource: "networkpolicies",
  kind: "NetworkPolicy",
});
/** `policy/v1` PodDisruptionBudgets. */
export const POD_DISRUPTION_BUDGETS: ApiResource<PodDisruptionBudget> = grouped(
  ["policy", "v1"],
  { resource: "poddisruptionbudgets", kind: "PodDisruptionBudget" },
);
/** `scheduling.k8s.io/v1` PriorityClasses (cluster-scoped). */
export const PRIORITY_CLASSES: ApiResource<PriorityClass> = grouped(["scheduling.k8s.io", "v1"], {
  resource: "priorityclasses",
  kind: "PriorityClass",
  namespaced: false,
});
/** `storage.k8s.io/v1` StorageClasses (cluster-scoped). */
export const STORAGE_CLASSES: ApiResource<StorageClass> = grouped(["storage.k8s.io", "v1"], {
  resource: "storageclasses",
  kind: "StorageClass",
  namespaced: false,
});
/** `node.k8s.io/v1` RuntimeClasses (cluster-scoped). */
export const RUNTIME_CLASSES: ApiResource<RuntimeClass> = grouped(["node.k8s.io", "v1"], {
  resource: "runtimeclasses",
  kind: "RuntimeClass",
  namespaced: false,
});
