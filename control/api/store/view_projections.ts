/**
 * What the API server's object views keep of each object: enough for every per-request check
 * (authentication, authorization, admission) and the in-server loops, not the whole object.
 * On a 1 GB device a view of every Secret (Helm keeps whole releases in them) or every pod with
 * its status would cost tens of MiB; these projections keep the fields the readers use:
 *
 * - every kind: no `metadata.managedFields`, no `kubectl.kubernetes.io/last-applied-configuration`;
 * - Secrets: `data` only of the kinds authentication reads (bootstrap tokens, node credentials);
 * - ConfigMaps: `data` only of `kube-root-ca.crt` (kept current in every namespace);
 * - Pods: what the Node authorizer's graph, NodeRestriction, the ServiceAccount authenticator,
 *   TokenRequest and quota read — identity, owners, the node, the ServiceAccount, the names of
 *   the Secrets, ConfigMaps and claims the pod uses, resources and the quota scopes' fields —
 *   not images, commands, probes, mounts, security contexts or other annotations (Pod Security
 *   reads a namespace's pods from storage on the rare update that needs them).
 *
 * A reader that needs more reads storage.
 *
 * @example The Secrets view keeps a bootstrap token's data, not a Helm release's
 * ```ts
 * import assert from "node:assert/strict";
 * import { viewProjection } from "./view_projections.ts";
 *
 * const project = viewProjection("/registry/secrets/")!;
 * const release = project({ metadata: { name: "sh.helm.release.v1.web.v1" }, type: "helm.sh/release.v1", data: { release: "H4sI..." } } as never);
 * assert.equal((release as { data?: unknown }).data, undefined);
 * ```
 *
 * @module
 */
import { MIRROR_POD_ANNOTATION } from "../types/core_v1_pod.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { ValuePool } from "./_value_pool.ts";

/** Turns a stored object into what a view keeps. */
export type Projection = (obj: KubeObject) => KubeObject;

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** Secret types whose data a view keeps (read by the token authenticators). */
export const VIEWED_SECRET_TYPES: ReadonlySet<string> = new Set([
  "bootstrap.kubernetes.io/token",
  "skiff.io/node-credential",
]);

/** ConfigMaps whose data a view keeps. */
export const VIEWED_CONFIG_MAPS: ReadonlySet<string> = new Set(["kube-root-ca.crt"]);

/** Metadata fields whose values repeat across objects (pooled); the others are unique. */
const SHARED_META_FIELDS: ReadonlySet<string> = new Set([
  "namespace",
  "generateName",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
]);

/**
 * The metadata a view keeps: all but `managedFields` and the last-applied annotation, with the
 * values that repeat across objects (namespace, labels, owners…) pooled.
 */
function slimMeta(
  meta: Readonly<Record<string, unknown>>,
  pool: ValuePool,
  annotations?: (a: Readonly<Record<string, string>>) => Record<string, string> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in meta) {
    if (key === "managedFields") continue;
    let value = meta[key];
    if (key === "annotations" && value && typeof value === "object") {
      const a = value as Record<string, string>;
      value = annotations ? annotations(a) : withoutLastApplied(a);
      if (value === undefined) continue;
    }
    out[key] = SHARED_META_FIELDS.has(key) ? pool.value(value) : value;
  }
  return out;
}

function withoutLastApplied(a: Readonly<Record<string, string>>): Record<string, string> {
  if (!(LAST_APPLIED in a)) return a;
  const out: Record<string, string> = {};
  for (const key in a) if (key !== LAST_APPLIED) out[key] = a[key]!;
  return out;
}

/** `obj` with its metadata slimmed (see {@linkcode slimMeta}) and `skip`'s keys left out. */
function slimObject(
  obj: KubeObject,
  pool: ValuePool,
  skip: ReadonlySet<string> = NOTHING,
): KubeObject {
  const out: Record<string, unknown> = {};
  for (const key in obj) {
    if (skip.has(key)) continue;
    const value = (obj as Record<string, unknown>)[key];
    out[key] = key === "metadata" && value && typeof value === "object"
      ? slimMeta(value as Record<string, unknown>, pool)
      : key === "apiVersion" || key === "kind"
      ? pool.value(value)
      : value;
  }
  return out as KubeObject;
}

const NOTHING: ReadonlySet<string> = new Set();
const SECRET_DATA: ReadonlySet<string> = new Set(["data"]);
const CONFIG_MAP_DATA: ReadonlySet<string> = new Set(["data", "binaryData"]);
const CONFIG_MAP_BINARY: ReadonlySet<string> = new Set(["binaryData"]);

function slimSecret(obj: KubeObject, pool: ValuePool): KubeObject {
  const type = (obj as { type?: string }).type ?? "";
  return slimObject(obj, pool, VIEWED_SECRET_TYPES.has(type) ? NOTHING : SECRET_DATA);
}

function slimConfigMap(obj: KubeObject, pool: ValuePool): KubeObject {
  const kept = VIEWED_CONFIG_MAPS.has(obj.metadata?.name ?? "");
  return slimObject(obj, pool, kept ? CONFIG_MAP_BINARY : CONFIG_MAP_DATA);
}

interface ContainerStatus {
  readonly name?: string;
  readonly resources?: unknown;
  readonly allocatedResources?: unknown;
}

function slimStatuses(list: unknown): ContainerStatus[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return (list as ContainerStatus[]).map((cs) => ({
    ...(cs.name !== undefined ? { name: cs.name } : {}),
    ...(cs.resources !== undefined ? { resources: cs.resources } : {}),
    ...(cs.allocatedResources !== undefined ? { allocatedResources: cs.allocatedResources } : {}),
  }));
}

/** Pod spec fields a view keeps whole (small, and read by quota scopes or the node graph). */
const POD_SPEC_FIELDS = [
  "nodeName",
  "serviceAccountName",
  "priorityClassName",
  "priority",
  "activeDeadlineSeconds",
  "affinity",
  "overhead",
  "resources",
  "imagePullSecrets",
  "resourceClaims",
] as const;

interface VolumeLike {
  readonly name?: string | undefined;
  readonly secret?: { readonly secretName?: string | undefined };
  readonly configMap?: { readonly name?: string | undefined };
  readonly projected?: { readonly sources?: readonly Record<string, unknown>[] };
  readonly [type: string]: unknown;
}

/** Volume types that name nothing a reader follows: kept as their name alone. */
const UNREFERENCING_VOLUMES = ["emptyDir", "hostPath", "downwardAPI"];

/** A projected source as the readers see it: the Secret, ConfigMap or token audience it names. */
function slimSource(src: Record<string, unknown>): Record<string, unknown> | null {
  const secret = src.secret as { name?: string } | undefined;
  if (secret) return { secret: { name: secret.name } };
  const configMap = src.configMap as { name?: string } | undefined;
  if (configMap) return { configMap: { name: configMap.name } };
  const token = src.serviceAccountToken as { audience?: string } | undefined;
  if (token) return { serviceAccountToken: token.audience ? { audience: token.audience } : {} };
  if (src.clusterTrustBundle) return { clusterTrustBundle: src.clusterTrustBundle };
  return null;
}

/**
 * A volume reduced to what it references (Secrets, ConfigMaps, claims, token audiences): the
 * `kube-api-access-*` volume every pod gets shrinks from ~15 objects to 3, and what it
 * references is pooled (the same in every pod).
 */
function slimVolume(v: VolumeLike, pool: ValuePool): VolumeLike {
  if (v.secret) return { name: v.name, secret: pool.value({ secretName: v.secret.secretName }) };
  if (v.configMap) return { name: v.name, configMap: pool.value({ name: v.configMap.name }) };
  if (v.projected) {
    const sources = (v.projected.sources ?? []).map(slimSource).filter((x) => x !== null);
    return { name: v.name, projected: pool.value({ sources }) };
  }
  if (UNREFERENCING_VOLUMES.some((t) => v[t] !== undefined)) return { name: v.name };
  return pool.value(v);
}

interface ContainerLike {
  readonly name?: string;
  readonly resources?: unknown;
  readonly restartPolicy?: unknown;
  readonly envFrom?: unknown;
  readonly env?: readonly { readonly name?: string; readonly valueFrom?: unknown }[];
}

/** A container's name, resources and the Secrets and ConfigMaps its environment names. */
function slimContainers(list: unknown): ContainerLike[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return (list as ContainerLike[]).map((c) => {
    const out: Record<string, unknown> = {};
    if (c.name !== undefined) out.name = c.name;
    if (c.resources !== undefined) out.resources = c.resources;
    if (c.restartPolicy !== undefined) out.restartPolicy = c.restartPolicy;
    if (c.envFrom !== undefined) out.envFrom = c.envFrom;
    const env = c.env?.filter((e) => e.valueFrom !== undefined);
    if (env?.length) out.env = env;
    return out;
  });
}

/** A mirror pod's annotation, no other. */
function mirrorAnnotation(a: Readonly<Record<string, string>>): Record<string, string> | undefined {
  const mirror = a[MIRROR_POD_ANNOTATION];
  return mirror === undefined ? undefined : { [MIRROR_POD_ANNOTATION]: mirror };
}

function slimPodSpec(spec: Record<string, unknown>, pool: ValuePool): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const key of POD_SPEC_FIELDS) if (spec[key] !== undefined) kept[key] = pool.value(spec[key]);
  if (Array.isArray(spec.volumes)) {
    kept.volumes = (spec.volumes as VolumeLike[]).map((v) => slimVolume(v, pool));
  }
  for (const key of ["containers", "initContainers", "ephemeralContainers"] as const) {
    const containers = slimContainers(spec[key]);
    if (containers) kept[key] = pool.value(containers);
  }
  return kept;
}

function slimPodStatus(status: Record<string, unknown>, pool: ValuePool): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const key of ["phase", "qosClass", "resize"]) {
    if (status[key] !== undefined) kept[key] = status[key];
  }
  const containers = slimStatuses(status.containerStatuses);
  if (containers) kept.containerStatuses = containers;
  const inits = slimStatuses(status.initContainerStatuses);
  if (inits) kept.initContainerStatuses = inits;
  return pool.value(kept);
}

function slimPod(obj: KubeObject, pool: ValuePool): KubeObject {
  const out: Record<string, unknown> = {};
  for (const key in obj) {
    const value = (obj as Record<string, unknown>)[key];
    const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
    if (key === "metadata" && isObject) {
      out.metadata = slimMeta(value as Record<string, unknown>, pool, mirrorAnnotation);
    } else if (key === "spec" && isObject) {
      out.spec = slimPodSpec(value as Record<string, unknown>, pool);
    } else if (key === "status" && isObject) {
      out.status = slimPodStatus(value as Record<string, unknown>, pool);
    } else {
      out[key] = pool.value(value);
    }
  }
  return out as KubeObject;
}

type PooledProjection = (obj: KubeObject, pool: ValuePool) => KubeObject;

const BY_PREFIX: Readonly<Record<string, PooledProjection>> = {
  "/registry/secrets/": slimSecret,
  "/registry/configmaps/": slimConfigMap,
  "/registry/pods/": slimPod,
};

/**
 * The projection of the view of `prefix` (every prefix drops at least the bookkeeping). Each
 * call returns a projection with its own {@linkcode ValuePool}: the objects it returns share
 * their repeated values, and are built afresh (never a decoded object with fields deleted).
 */
export function viewProjection(prefix: string): Projection {
  const slim = BY_PREFIX[prefix] ?? slimObject;
  const pool = new ValuePool();
  return (obj) => slim(obj, pool);
}
