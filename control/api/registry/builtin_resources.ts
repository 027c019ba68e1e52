/**
 * The built-in resources skiff serves: every kind's identity, scope, discovery metadata, schema,
 * strategy and kind-specific facts (status and scale subresources, selectable fields,
 * generation tracking), as kube-apiserver 1.33 serves them. The table is data; the generic
 * handlers do the rest.
 *
 * @module
 */
import { customResourceDefinitionStrategy } from "../apiextensions/crd_strategy.ts";
import { configMapStrategy } from "../strategies/config_map.ts";
import { controllerRevisionStrategy } from "../strategies/controller_revision.ts";
import { cronJobStrategy } from "../strategies/cron_job.ts";
import { daemonSetStrategy } from "../strategies/daemon_set.ts";
import { deploymentStrategy } from "../strategies/deployment.ts";
import { endpointSliceStrategy } from "../strategies/endpoint_slice.ts";
import { endpointsStrategy } from "../strategies/endpoints.ts";
import { eventStrategy } from "../strategies/event.ts";
import { coreEventToEventsV1, eventsV1ToCoreEvent } from "../strategies/event_conversion.ts";
import { eventsV1EventStrategy } from "../strategies/events_v1_event.ts";
import { ingressStrategy } from "../strategies/ingress.ts";
import { ingressClassStrategy } from "../strategies/ingress_class.ts";
import { jobStrategy } from "../strategies/job.ts";
import { leaseStrategy } from "../strategies/lease.ts";
import { limitRangeStrategy } from "../strategies/limit_range.ts";
import { namespaceStrategy } from "../strategies/namespace.ts";
import { networkPolicyStrategy } from "../strategies/network_policy.ts";
import { nodeStrategy } from "../strategies/node.ts";
import { persistentVolumeStrategy } from "../strategies/persistent_volume.ts";
import { persistentVolumeClaimStrategy } from "../strategies/persistent_volume_claim.ts";
import { podStrategy } from "../strategies/pod.ts";
import { podDisruptionBudgetStrategy } from "../strategies/pod_disruption_budget.ts";
import { podTemplateStrategy } from "../strategies/pod_template.ts";
import { priorityClassStrategy } from "../strategies/priority_class.ts";
import {
  clusterRoleBindingStrategy,
  clusterRoleStrategy,
  roleBindingStrategy,
  roleStrategy,
} from "../strategies/rbac.ts";
import { replicaSetStrategy } from "../strategies/replica_set.ts";
import { replicationControllerStrategy } from "../strategies/replication_controller.ts";
import { resourceQuotaStrategy } from "../strategies/resource_quota.ts";
import { runtimeClassStrategy } from "../strategies/runtime_class.ts";
import { secretStrategy } from "../strategies/secret.ts";
import { serviceStrategy } from "../strategies/service.ts";
import { serviceAccountStrategy } from "../strategies/service_account.ts";
import { statefulSetStrategy } from "../strategies/stateful_set.ts";
import { storageClassStrategy } from "../strategies/storage_class.ts";
import {
  ControllerRevision,
  DaemonSet,
  Deployment,
  ReplicaSet,
  StatefulSet,
} from "../types/apps_v1.ts";
import { CustomResourceDefinition } from "../types/apiextensions_v1.ts";
import { CronJob, Job } from "../types/batch_v1.ts";
import { Lease } from "../types/coordination_v1.ts";
import {
  SelfSubjectReview,
  SelfSubjectReviewV1beta1,
  TokenReview,
} from "../types/authentication_v1.ts";
import {
  LocalSubjectAccessReview,
  SelfSubjectAccessReview,
  SelfSubjectRulesReview,
  SubjectAccessReview,
} from "../types/authorization_v1.ts";
import { ConfigMap, Secret, ServiceAccount } from "../types/core_v1_config.ts";
import { Event as CoreEventSchema } from "../types/core_v1_event.ts";
import type { Event as CoreEvent } from "../types/core_v1_event.ts";
import { Namespace } from "../types/core_v1_namespace.ts";
import { Node } from "../types/core_v1_node.ts";
import { Binding, Pod, PodTemplate } from "../types/core_v1_pod.ts";
import { LimitRange, ResourceQuota } from "../types/core_v1_policy.ts";
import { ReplicationController } from "../types/core_v1_replication_controller.ts";
import { Endpoints, Service } from "../types/core_v1_service.ts";
import { PersistentVolume, PersistentVolumeClaim } from "../types/core_v1_storage.ts";
import { EndpointSlice } from "../types/discovery_v1.ts";
import { Event as EventsV1Schema } from "../types/events_v1.ts";
import type { Event as EventsV1Event } from "../types/events_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { Ingress, IngressClass, NetworkPolicy } from "../types/networking_v1.ts";
import { RuntimeClass } from "../types/node_v1.ts";
import { PodDisruptionBudget } from "../types/policy_v1.ts";
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "../types/rbac_v1.ts";
import { PriorityClass } from "../types/scheduling_v1.ts";
import { StorageClass } from "../types/storage_v1.ts";
import type { FieldGetter, ResourceDef, ScaleSubresource } from "./resource_def.ts";

/** Reads a dotted path of strings/numbers/booleans as a field-selector value. */
function at(path: string): FieldGetter {
  const parts = path.split(".");
  return (obj) => {
    let cur: unknown = obj;
    for (const p of parts) {
      if (typeof cur !== "object" || cur === null) return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    if (cur === undefined || cur === null) return undefined;
    return typeof cur === "object" ? undefined : String(cur);
  };
}

function fields(...paths: string[]): Record<string, FieldGetter> {
  return Object.fromEntries(paths.map((p) => [p, at(p)]));
}

const REPLICAS_SCALE: ScaleSubresource = {
  specReplicasPath: ".spec.replicas",
  statusReplicasPath: ".status.replicas",
  labelSelectorPath: "spec.selector",
};

const POD_FIELDS: Record<string, FieldGetter> = {
  ...fields(
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
  ),
  // A bool prints as "true"/"false"; unset is false, as the conversion function does.
  "spec.hostNetwork": (obj) =>
    String((obj.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork ?? false),
  "status.podIPs": (obj) =>
    ((obj.status as { podIPs?: { ip?: string }[] } | undefined)?.podIPs ?? [])[0]?.ip ?? "",
};

const EVENT_FIELDS: Record<string, FieldGetter> = {
  ...fields(
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "type",
  ),
  source: (obj) => (obj.source as { component?: string } | undefined)?.component ?? "",
};

/** One hour, kube-apiserver's default `--event-ttl`. */
const EVENT_TTL_MS = 60 * 60 * 1000;

const CORE: readonly ResourceDef[] = [
  {
    group: "",
    version: "v1",
    kind: "Namespace",
    resource: "namespaces",
    singular: "namespace",
    namespaced: false,
    shortNames: ["ns"],
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    schema: Namespace,
    strategy: namespaceStrategy,
    statusSubresource: true,
    extraSubresources: [{
      name: "finalize",
      gvk: { group: "", version: "v1", kind: "Namespace" },
      verbs: ["update"],
    }],
    fieldSelectors: fields("status.phase"),
  },
  {
    group: "",
    version: "v1",
    kind: "Pod",
    resource: "pods",
    singular: "pod",
    namespaced: true,
    shortNames: ["po"],
    categories: ["all"],
    schema: Pod,
    strategy: podStrategy,
    statusSubresource: true,
    tracksGeneration: true,
    extraSubresources: [
      { name: "binding", gvk: { group: "", version: "v1", kind: "Binding" }, verbs: ["create"] },
      {
        name: "eviction",
        gvk: { group: "policy", version: "v1", kind: "Eviction" },
        verbs: ["create"],
      },
      { name: "log", gvk: { group: "", version: "v1", kind: "Pod" }, verbs: ["get"] },
      {
        name: "exec",
        gvk: { group: "", version: "v1", kind: "PodExecOptions" },
        verbs: ["create", "get"],
      },
      {
        name: "attach",
        gvk: { group: "", version: "v1", kind: "PodAttachOptions" },
        verbs: ["create", "get"],
      },
      {
        name: "portforward",
        gvk: { group: "", version: "v1", kind: "PodPortForwardOptions" },
        verbs: ["create", "get"],
      },
      {
        name: "proxy",
        gvk: { group: "", version: "v1", kind: "PodProxyOptions" },
        verbs: ["create", "delete", "get", "patch", "update"],
      },
    ],
    fieldSelectors: POD_FIELDS,
  },
  {
    group: "",
    version: "v1",
    kind: "Binding",
    resource: "bindings",
    singular: "binding",
    namespaced: true,
    verbs: ["create"],
    schema: Binding,
    strategy: {},
  },
  {
    group: "",
    version: "v1",
    kind: "PodTemplate",
    resource: "podtemplates",
    singular: "podtemplate",
    namespaced: true,
    schema: PodTemplate,
    strategy: podTemplateStrategy,
  },
  {
    group: "",
    version: "v1",
    kind: "ReplicationController",
    resource: "replicationcontrollers",
    singular: "replicationcontroller",
    namespaced: true,
    shortNames: ["rc"],
    categories: ["all"],
    schema: ReplicationController,
    strategy: replicationControllerStrategy,
    statusSubresource: true,
    // Its selector is a label map: scaleOf prints it as upstream's SelectorFromSet does.
    scale: REPLICAS_SCALE,
    tracksGeneration: true,
  },
  {
    group: "",
    version: "v1",
    kind: "Service",
    resource: "services",
    singular: "service",
    namespaced: true,
    shortNames: ["svc"],
    categories: ["all"],
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    schema: Service,
    strategy: serviceStrategy,
    statusSubresource: true,
    extraSubresources: [{
      name: "proxy",
      gvk: { group: "", version: "v1", kind: "ServiceProxyOptions" },
      verbs: ["create", "delete", "get", "patch", "update"],
    }],
    allowCreateOnUpdate: true,
    fieldSelectors: fields("spec.clusterIP", "spec.type"),
  },
  {
    group: "",
    version: "v1",
    kind: "Endpoints",
    resource: "endpoints",
    singular: "endpoints",
    namespaced: true,
    shortNames: ["ep"],
    schema: Endpoints,
    strategy: endpointsStrategy,
    allowCreateOnUpdate: true,
  },
  {
    group: "",
    version: "v1",
    kind: "ConfigMap",
    resource: "configmaps",
    singular: "configmap",
    namespaced: true,
    shortNames: ["cm"],
    schema: ConfigMap,
    strategy: configMapStrategy,
  },
  {
    group: "",
    version: "v1",
    kind: "Secret",
    resource: "secrets",
    singular: "secret",
    namespaced: true,
    schema: Secret,
    strategy: secretStrategy,
    fieldSelectors: fields("type"),
  },
  {
    group: "",
    version: "v1",
    kind: "ServiceAccount",
    resource: "serviceaccounts",
    singular: "serviceaccount",
    namespaced: true,
    shortNames: ["sa"],
    schema: ServiceAccount,
    strategy: serviceAccountStrategy,
    extraSubresources: [{
      name: "token",
      gvk: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" },
      verbs: ["create"],
    }],
  },
  {
    group: "",
    version: "v1",
    kind: "Node",
    resource: "nodes",
    singular: "node",
    namespaced: false,
    shortNames: ["no"],
    schema: Node,
    strategy: nodeStrategy,
    statusSubresource: true,
    extraSubresources: [{
      name: "proxy",
      gvk: { group: "", version: "v1", kind: "NodeProxyOptions" },
      verbs: ["create", "delete", "get", "patch", "update"],
    }],
    fieldSelectors: {
      "spec.unschedulable": (obj) =>
        String((obj.spec as { unschedulable?: boolean } | undefined)?.unschedulable ?? false),
    },
  },
  {
    group: "",
    version: "v1",
    kind: "Event",
    resource: "events",
    singular: "event",
    namespaced: true,
    shortNames: ["ev"],
    schema: CoreEventSchema,
    strategy: eventStrategy,
    allowCreateOnUpdate: true,
    fieldSelectors: EVENT_FIELDS,
    ttlMs: EVENT_TTL_MS,
  },
  {
    group: "",
    version: "v1",
    kind: "PersistentVolume",
    resource: "persistentvolumes",
    singular: "persistentvolume",
    namespaced: false,
    shortNames: ["pv"],
    schema: PersistentVolume,
    strategy: persistentVolumeStrategy,
    statusSubresource: true,
  },
  {
    group: "",
    version: "v1",
    kind: "PersistentVolumeClaim",
    resource: "persistentvolumeclaims",
    singular: "persistentvolumeclaim",
    namespaced: true,
    shortNames: ["pvc"],
    schema: PersistentVolumeClaim,
    strategy: persistentVolumeClaimStrategy,
    statusSubresource: true,
  },
  {
    group: "",
    version: "v1",
    kind: "LimitRange",
    resource: "limitranges",
    singular: "limitrange",
    namespaced: true,
    shortNames: ["limits"],
    schema: LimitRange,
    strategy: limitRangeStrategy,
  },
  {
    group: "",
    version: "v1",
    kind: "ResourceQuota",
    resource: "resourcequotas",
    singular: "resourcequota",
    namespaced: true,
    shortNames: ["quota"],
    schema: ResourceQuota,
    strategy: resourceQuotaStrategy,
    statusSubresource: true,
  },
];

const APPS: readonly ResourceDef[] = [
  {
    group: "apps",
    version: "v1",
    kind: "ControllerRevision",
    resource: "controllerrevisions",
    singular: "controllerrevision",
    namespaced: true,
    schema: ControllerRevision,
    strategy: controllerRevisionStrategy,
  },
  {
    group: "apps",
    version: "v1",
    kind: "DaemonSet",
    resource: "daemonsets",
    singular: "daemonset",
    namespaced: true,
    shortNames: ["ds"],
    categories: ["all"],
    schema: DaemonSet,
    strategy: daemonSetStrategy,
    statusSubresource: true,
    tracksGeneration: true,
  },
  {
    group: "apps",
    version: "v1",
    kind: "Deployment",
    resource: "deployments",
    singular: "deployment",
    namespaced: true,
    shortNames: ["deploy"],
    categories: ["all"],
    schema: Deployment,
    strategy: deploymentStrategy,
    statusSubresource: true,
    scale: REPLICAS_SCALE,
    tracksGeneration: true,
  },
  {
    group: "apps",
    version: "v1",
    kind: "ReplicaSet",
    resource: "replicasets",
    singular: "replicaset",
    namespaced: true,
    shortNames: ["rs"],
    categories: ["all"],
    schema: ReplicaSet,
    strategy: replicaSetStrategy,
    statusSubresource: true,
    scale: REPLICAS_SCALE,
    tracksGeneration: true,
  },
  {
    group: "apps",
    version: "v1",
    kind: "StatefulSet",
    resource: "statefulsets",
    singular: "statefulset",
    namespaced: true,
    shortNames: ["sts"],
    categories: ["all"],
    schema: StatefulSet,
    strategy: statefulSetStrategy,
    statusSubresource: true,
    scale: REPLICAS_SCALE,
    tracksGeneration: true,
  },
];

const BATCH: readonly ResourceDef[] = [
  {
    group: "batch",
    version: "v1",
    kind: "CronJob",
    resource: "cronjobs",
    singular: "cronjob",
    namespaced: true,
    shortNames: ["cj"],
    categories: ["all"],
    schema: CronJob,
    strategy: cronJobStrategy,
    statusSubresource: true,
    tracksGeneration: true,
  },
  {
    group: "batch",
    version: "v1",
    kind: "Job",
    resource: "jobs",
    singular: "job",
    namespaced: true,
    categories: ["all"],
    schema: Job,
    strategy: jobStrategy,
    statusSubresource: true,
    tracksGeneration: true,
    fieldSelectors: fields("status.successful"),
    // As upstream's batch/v1 (kept for compatibility): kubectl always says "background".
    defaultGarbageCollectionPolicy: "OrphanDependents",
  },
];

const OTHERS: readonly ResourceDef[] = [
  {
    group: "coordination.k8s.io",
    version: "v1",
    kind: "Lease",
    resource: "leases",
    singular: "lease",
    namespaced: true,
    schema: Lease,
    strategy: leaseStrategy,
  },
  {
    group: "discovery.k8s.io",
    version: "v1",
    kind: "EndpointSlice",
    resource: "endpointslices",
    singular: "endpointslice",
    namespaced: true,
    schema: EndpointSlice,
    strategy: endpointSliceStrategy,
    tracksGeneration: true,
  },
  {
    group: "events.k8s.io",
    version: "v1",
    kind: "Event",
    resource: "events",
    singular: "event",
    namespaced: true,
    shortNames: ["ev"],
    schema: EventsV1Schema,
    strategy: eventsV1EventStrategy,
    allowCreateOnUpdate: true,
    ttlMs: EVENT_TTL_MS,
    conversion: {
      storageGroup: "",
      storageResource: "events",
      fromStorage: (obj: KubeObject) => coreEventToEventsV1(obj as CoreEvent) as KubeObject,
      toStorage: (obj: KubeObject) => eventsV1ToCoreEvent(obj as EventsV1Event) as KubeObject,
    },
  },
  {
    group: "networking.k8s.io",
    version: "v1",
    kind: "IngressClass",
    resource: "ingressclasses",
    singular: "ingressclass",
    namespaced: false,
    schema: IngressClass,
    strategy: ingressClassStrategy,
    tracksGeneration: true,
  },
  {
    group: "networking.k8s.io",
    version: "v1",
    kind: "Ingress",
    resource: "ingresses",
    singular: "ingress",
    namespaced: true,
    shortNames: ["ing"],
    schema: Ingress,
    strategy: ingressStrategy,
    statusSubresource: true,
    tracksGeneration: true,
  },
  {
    group: "networking.k8s.io",
    version: "v1",
    kind: "NetworkPolicy",
    resource: "networkpolicies",
    singular: "networkpolicy",
    namespaced: true,
    shortNames: ["netpol"],
    schema: NetworkPolicy,
    strategy: networkPolicyStrategy,
    tracksGeneration: true,
  },
  {
    group: "node.k8s.io",
    version: "v1",
    kind: "RuntimeClass",
    resource: "runtimeclasses",
    singular: "runtimeclass",
    namespaced: false,
    schema: RuntimeClass,
    strategy: runtimeClassStrategy,
  },
  {
    group: "policy",
    version: "v1",
    kind: "PodDisruptionBudget",
    resource: "poddisruptionbudgets",
    singular: "poddisruptionbudget",
    namespaced: true,
    shortNames: ["pdb"],
    schema: PodDisruptionBudget,
    strategy: podDisruptionBudgetStrategy,
    statusSubresource: true,
    tracksGeneration: true,
  },
  ...(
    [
      [
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
        ClusterRoleBinding,
        clusterRoleBindingStrategy,
      ],
      ["ClusterRole", "clusterroles", false, ClusterRole, clusterRoleStrategy],
      ["RoleBinding", "rolebindings", true, RoleBinding, roleBindingStrategy],
      ["Role", "roles", true, Role, roleStrategy],
    ] as const
  ).map(([kind, resource, namespaced, schema, strategy]): ResourceDef => ({
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind,
    resource,
    singular: kind.toLowerCase(),
    namespaced,
    schema,
    strategy,
  })),
  {
    group: "scheduling.k8s.io",
    version: "v1",
    kind: "PriorityClass",
    resource: "priorityclasses",
    singular: "priorityclass",
    namespaced: false,
    shortNames: ["pc"],
    schema: PriorityClass,
    strategy: priorityClassStrategy,
  },
  {
    group: "storage.k8s.io",
    version: "v1",
    kind: "StorageClass",
    resource: "storageclasses",
    singular: "storageclass",
    namespaced: false,
    shortNames: ["sc"],
    schema: StorageClass,
    strategy: storageClassStrategy,
  },
];

/** Create-only resources answered by review handlers, never stored. */
const REVIEWS: readonly ResourceDef[] = [
  ...([
    [
      "authentication.k8s.io",
      "v1",
      "SelfSubjectReview",
      "selfsubjectreviews",
      false,
      SelfSubjectReview,
    ],
    [
      "authentication.k8s.io",
      "v1beta1",
      "SelfSubjectReview",
      "selfsubjectreviews",
      false,
      SelfSubjectReviewV1beta1,
    ],
    ["authentication.k8s.io", "v1", "TokenReview", "tokenreviews", false, TokenReview],
    [
      "authorization.k8s.io",
      "v1",
      "LocalSubjectAccessReview",
      "localsubjectaccessreviews",
      true,
      LocalSubjectAccessReview,
    ],
    [
      "authorization.k8s.io",
      "v1",
      "SelfSubjectAccessReview",
      "selfsubjectaccessreviews",
      false,
      SelfSubjectAccessReview,
    ],
    [
      "authorization.k8s.io",
      "v1",
      "SelfSubjectRulesReview",
      "selfsubjectrulesreviews",
      false,
      SelfSubjectRulesReview,
    ],
    [
      "authorization.k8s.io",
      "v1",
      "SubjectAccessReview",
      "subjectaccessreviews",
      false,
      SubjectAccessReview,
    ],
  ] as const).map(([group, version, kind, resource, namespaced, schema]): ResourceDef => ({
    group,
    version,
    kind,
    resource,
    singular: kind.toLowerCase(),
    namespaced,
    verbs: ["create"],
    schema,
    strategy: {},
    ephemeral: true,
  })),
];

/** CustomResourceDefinitions: the definitions of the custom resources the server serves. */
const APIEXTENSIONS: readonly ResourceDef[] = [{
  group: "apiextensions.k8s.io",
  version: "v1",
  kind: "CustomResourceDefinition",
  resource: "customresourcedefinitions",
  singular: "customresourcedefinition",
  namespaced: false,
  shortNames: ["crd", "crds"],
  categories: ["api-extensions"],
  schema: CustomResourceDefinition,
  strategy: customResourceDefinitionStrategy,
  statusSubresource: true,
  tracksGeneration: true,
}];

/** Every built-in resource, core group first, each group's resources alphabetical. */
export const BUILTIN_RESOURCES: readonly ResourceDef[] = [
  ...[...CORE].sort((a, b) => a.resource.localeCompare(b.resource)),
  ...APPS,
  ...BATCH,
  ...OTHERS,
  ...APIEXTENSIONS,
  ...REVIEWS,
];
