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

/** Drops the bookkeeping no reader of a view uses; `obj` is a fresh decode, changed in place. */
function slimMetadata(obj: KubeObject): KubeObject {
  const meta = obj.metadata;
  if (!meta) return obj;
  delete meta.managedFields;
  if (meta.annotations && LAST_APPLIED in meta.annotations) {
    delete meta.annotations[LAST_APPLIED];
  }
  return obj;
}

function slimSecret(obj: KubeObject): KubeObject {
  const secret = slimMetadata(obj) as KubeObject & { type?: string; data?: unknown };
  if (!VIEWED_SECRET_TYPES.has(secret.type ?? "")) delete secret.data;
  return secret;
}

function slimConfigMap(obj: KubeObject): KubeObject {
  const cm = slimMetadata(obj) as KubeObject & { data?: unknown; binaryData?: unknown };
  if (!VIEWED_CONFIG_MAPS.has(cm.metadata?.name ?? "")) delete cm.data;
  delete cm.binaryData;
  return cm;
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
 * `kube-api-access-*` volume every pod gets shrinks from ~15 objects to 3.
 */
function slimVolume(v: VolumeLike): VolumeLike {
  if (v.secret) return { name: v.name, secret: { secretName: v.secret.secretName } };
  if (v.configMap) return { name: v.name, configMap: { name: v.configMap.name } };
  if (v.projected) {
    const sources = (v.projected.sources ?? []).map(slimSource).filter((x) => x !== null);
    return { name: v.name, projected: { sources } };
  }
  if (UNREFERENCING_VOLUMES.some((t) => v[t] !== undefined)) return { name: v.name };
  return v;
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

function slimPod(obj: KubeObject): KubeObject {
  const pod = slimMetadata(obj) as KubeObject & {
    spec?: Record<string, unknown>;
    status?: Record<string, unknown>;
  };
  const annotations = pod.metadata?.annotations;
  if (annotations) {
    const mirror = annotations[MIRROR_POD_ANNOTATION];
    if (mirror === undefined) delete pod.metadata!.annotations;
    else pod.metadata!.annotations = { [MIRROR_POD_ANNOTATION]: mirror };
  }
  const spec = pod.spec;
  if (spec) {
    const kept: Record<string, unknown> = {};
    for (const key of POD_SPEC_FIELDS) if (spec[key] !== undefined) kept[key] = spec[key];
    if (Array.isArray(spec.volumes)) kept.volumes = (spec.volumes as VolumeLike[]).map(slimVolume);
    for (const key of ["containers", "initContainers", "ephemeralContainers"] as const) {
      const containers = slimContainers(spec[key]);
      if (containers) kept[key] = containers;
    }
    pod.spec = kept;
  }
  const status = pod.status;
  if (status) {
    const kept: Record<string, unknown> = {};
    for (const key of ["phase", "qosClass", "resize"]) {
      if (status[key] !== undefined) kept[key] = status[key];
    }
    const containers = slimStatuses(status.containerStatuses);
    if (containers) kept.containerStatuses = containers;
    const inits = slimStatuses(status.initContainerStatuses);
    if (inits) kept.initContainerStatuses = inits;
    pod.status = kept;
  }
  return pod;
}

const BY_PREFIX: Readonly<Record<string, Projection>> = {
  "/registry/secrets/": slimSecret,
  "/registry/configmaps/": slimConfigMap,
  "/registry/pods/": slimPod,
};

/** The projection of the view of `prefix` (every prefix drops at least the bookkeeping). */
export function viewProjection(prefix: string): Projection {
  return BY_PREFIX[prefix] ?? slimMetadata;
}
