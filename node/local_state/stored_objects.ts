/**
 * What of an object the local state store keeps: the fields that say what should run on the
 * node, not those that change without the object changing. Left out of every object:
 * `metadata.resourceVersion`, `metadata.managedFields` (their timestamps move with every write,
 * status writes included) and `metadata.selfLink`; of Secrets also the write-only `stringData`.
 * Of a pod's `status` only a terminal `phase` (`Succeeded`, `Failed`) is kept, so that a pod
 * that finished is not started again after a reboot; everything else in the status is observed
 * state the agent rebuilds from the runtime, and storing it would rewrite the file at every
 * status change. A token keeps what identifies it (namespace, service account, request spec)
 * and the issued token with its expiry.
 *
 * @example A status-only change stores the same thing
 * ```ts
 * import assert from "node:assert/strict";
 * import { storedPod } from "./stored_objects.ts";
 *
 * const pod = { metadata: { name: "web", uid: "u1", resourceVersion: "5" }, spec: { containers: [] } };
 * const running = { ...pod, metadata: { ...pod.metadata, resourceVersion: "6" },
 *   status: { phase: "Running" as const, podIP: "10.42.0.7" } };
 * assert.deepEqual(storedPod(pod), storedPod(running));
 * ```
 *
 * @module
 */
import type { ObjectMeta } from "../../control/api/types/meta_v1.ts";
import type { ConfigMap, Secret } from "../../control/api/types/core_v1_config.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type {
  TokenRequestSpec,
  TokenRequestStatus,
} from "../../control/api/types/authentication_v1.ts";

/** A ServiceAccount token as the store keeps it. */
export interface StoredServiceAccountToken {
  readonly namespace: string;
  /** The service account. */
  readonly name: string;
  /** What was requested (audiences, expiration, the bound pod). */
  readonly spec: TokenRequestSpec;
  /** The issued token and its expiry. */
  readonly status: TokenRequestStatus;
}

function storedMeta(meta: ObjectMeta | undefined): ObjectMeta {
  const { resourceVersion: _rv, managedFields: _mf, selfLink: _sl, ...rest } = meta ?? {};
  return structuredClone(rest);
}

/** The stored form of `pod`: metadata and spec, and the phase once terminal. */
export function storedPod(pod: Pod): Pod {
  const phase = pod.status?.phase;
  return {
    apiVersion: pod.apiVersion ?? "v1",
    kind: pod.kind ?? "Pod",
    metadata: storedMeta(pod.metadata),
    ...(pod.spec !== undefined ? { spec: structuredClone(pod.spec) } : {}),
    ...(phase === "Succeeded" || phase === "Failed" ? { status: { phase } } : {}),
  };
}

/** The stored form of `configMap`. */
export function storedConfigMap(configMap: ConfigMap): ConfigMap {
  const { metadata, apiVersion, kind, ...rest } = configMap;
  return {
    apiVersion: apiVersion ?? "v1",
    kind: kind ?? "ConfigMap",
    metadata: storedMeta(metadata),
    ...structuredClone(rest),
  };
}

/** The stored form of `secret`. */
export function storedSecret(secret: Secret): Secret {
  const { metadata, apiVersion, kind, stringData: _sd, ...rest } = secret;
  return {
    apiVersion: apiVersion ?? "v1",
    kind: kind ?? "Secret",
    metadata: storedMeta(metadata),
    ...structuredClone(rest),
  };
}

/** The stored form of `token`. */
export function storedToken(token: StoredServiceAccountToken): StoredServiceAccountToken {
  return {
    namespace: token.namespace,
    name: token.name,
    spec: structuredClone(token.spec),
    status: structuredClone(token.status),
  };
}

/**
 * The cache key of a token, as the kubelet's token manager keys it: service account, namespace,
 * audiences, expiration and the bound object.
 */
export function tokenKey(
  token: Pick<StoredServiceAccountToken, "namespace" | "name" | "spec">,
): string {
  const ref = token.spec.boundObjectRef;
  return JSON.stringify([
    token.name,
    token.namespace,
    token.spec.audiences ?? [],
    token.spec.expirationSeconds ?? 0,
    ref ? [ref.kind ?? "", ref.apiVersion ?? "", ref.name ?? "", ref.uid ?? ""] : null,
  ]);
}
