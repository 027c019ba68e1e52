/**
 * One static pod from one manifest file, made as the kubelet's file source makes it
 * (`pkg/kubelet/config/common.go` `applyDefaults`, v1.33):
 *
 * - the manifest is YAML or JSON holding one `v1` `Pod` (of several YAML documents, the first,
 *   as `sigs.k8s.io/yaml` reads it), with a name;
 * - it is defaulted (and validated) by the injected functions — the API's own pod defaulting
 *   and validation, which `node/` may not import;
 * - without a `metadata.uid`, the UID is an MD5 (hex) of the pod's content followed by
 *   `host:<nodeName>` and `file:<path>`. Upstream hashes its Go struct dump of the internal
 *   pod; skiff hashes the pod's canonical JSON instead, so the UID has upstream's form and
 *   stability (same file, node and path: same UID, across restarts) but not upstream's value;
 * - the name gets `-<nodeName in lower case>` appended, the namespace defaults to `default`,
 *   `spec.nodeName` is the node;
 * - annotations: `kubernetes.io/config.hash` = the UID, `kubernetes.io/config.source` =
 *   `file`, `kubernetes.io/config.seen` = when the agent first saw it (RFC 3339 with
 *   nanoseconds, as Go's `RFC3339Nano`);
 * - the toleration `{operator: Exists, effect: NoExecute}` is added (or replaces one with the
 *   same key, operator, value and effect), so node problems never evict a static pod;
 * - `status.phase` is `Pending`.
 *
 * Static pods may not use ClusterTrustBundle projections or ResourceClaims (upstream's
 * messages).
 *
 * @example A manifest and the pod it makes
 * ```ts
 * import assert from "node:assert/strict";
 * import { CONFIG_HASH_ANNOTATION, staticPodFromManifest } from "./static_pod.ts";
 *
 * const pod = staticPodFromManifest(
 *   "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: busybox\n",
 *   { path: "/var/lib/skiff/agent/pod-manifests/web.yaml", nodeName: "Edge-1", seenMs: 0 },
 * );
 * assert.equal(pod.metadata?.name, "web-edge-1");
 * assert.equal(pod.metadata?.namespace, "default");
 * assert.equal(pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], pod.metadata?.uid);
 * assert.match(pod.metadata?.uid ?? "", /^[0-9a-f]{32}$/);
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { parseAllDocuments } from "yaml";
import type { Toleration } from "../../control/api/types/core_v1_common.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { formatRfc3339Nano } from "../../control/util/k8s_time.ts";
import { canonicalJson } from "../local_state/canonical_json.ts";

/** The annotation holding a static pod's hash (its generated UID). */
export const CONFIG_HASH_ANNOTATION = "kubernetes.io/config.hash";
/** The annotation naming the source a pod came from (`file`, `http`, `api`). */
export const CONFIG_SOURCE_ANNOTATION = "kubernetes.io/config.source";
/** The annotation holding when the kubelet first saw a pod. */
export const CONFIG_SEEN_ANNOTATION = "kubernetes.io/config.seen";
/** The source name of pods from manifest files. */
export const FILE_SOURCE = "file";

/** Options of {@linkcode staticPodFromManifest}. */
export interface StaticPodOptions {
  /** The manifest's path: part of the UID. */
  readonly path: string;
  /** The node's name, as registered. */
  readonly nodeName: string;
  /** When the pod is first seen (ms since the epoch), for `kubernetes.io/config.seen`. */
  readonly seenMs: number;
  /** Applies the API's pod defaults (upstream decodes manifests with defaulting). */
  readonly defaultPod?: (pod: Pod) => void;
  /** Validates the finished pod as the API validates a create; the errors, or none. */
  readonly validatePod?: (pod: Pod) => readonly string[];
}

/** A manifest that does not make a pod. */
export class ManifestError extends Error {
  /** The manifest's path. */
  readonly path: string;

  constructor(path: string, message: string, options?: ErrorOptions) {
    super(`${path}: ${message}`, options);
    this.name = "ManifestError";
    this.path = path;
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The first YAML document of `text` as a JSON value (YAML 1.1 scalars, as go-yaml v2). */
function parseManifest(path: string, text: string): unknown {
  const docs = parseAllDocuments(text, { version: "1.1", uniqueKeys: false });
  if (!Array.isArray(docs)) return null;
  const first = docs[0];
  if (!first) return null;
  if (first.errors.length > 0) {
    throw new ManifestError(path, `couldn't parse as pod(${first.errors[0]!.message})`);
  }
  return first.toJS({ maxAliasCount: 1000 });
}

/** The checks skiff makes itself, for when no validator is injected. */
function basicErrors(pod: Pod): string[] {
  const errors: string[] = [];
  const name = pod.metadata?.name ?? "";
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    errors.push(
      `metadata.name: Invalid value: ${
        JSON.stringify(name)
      }: must be a lowercase RFC 1123 subdomain`,
    );
  }
  const ns = pod.metadata?.namespace ?? "";
  if (ns.length > 63 || !DNS_LABEL.test(ns)) {
    errors.push(
      `metadata.namespace: Invalid value: ${
        JSON.stringify(ns)
      }: must be a lowercase RFC 1123 label`,
    );
  }
  const containers = pod.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push("spec.containers: Required value");
  } else {
    containers.forEach((c, i) => {
      if (!isObject(c) || typeof c.name !== "string" || c.name === "") {
        errors.push(`spec.containers[${i}].name: Required value`);
      }
      if (!isObject(c) || typeof c.image !== "string" || c.image.trim() === "") {
        errors.push(`spec.containers[${i}].image: Required value`);
      }
    });
  }
  return errors;
}

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? "") === (b.key ?? "") && (a.operator ?? "") === (b.operator ?? "") &&
    (a.value ?? "") === (b.value ?? "") && (a.effect ?? "") === (b.effect ?? "");
}

/** Upstream's `AddOrUpdateTolerationInPod`: replace a matching toleration, else append. */
function addToleration(pod: Pod, toleration: Toleration): void {
  const spec = pod.spec!;
  const list = spec.tolerations ?? [];
  const at = list.findIndex((t) => sameToleration(t, toleration));
  if (at < 0) spec.tolerations = [...list, toleration];
  else list[at] = toleration;
}

/** The UID the file source gives a pod without one: MD5 of content, then host and file. */
export function staticPodUid(pod: Pod, options: { nodeName: string; path: string }): string {
  return createHash("md5")
    .update(canonicalJson(pod))
    .update(`host:${options.nodeName}`)
    .update(`file:${options.path}`)
    .digest("hex");
}

/** Whether `pod` came from a manifest file (or any source but the API). */
export function isStaticPod(pod: Pod): boolean {
  const source = pod.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION];
  return source !== undefined && source !== "api";
}

/** The static pod made from manifest `text`; throws {@linkcode ManifestError} when it makes none. */
export function staticPodFromManifest(text: string, options: StaticPodOptions): Pod {
  const { path, nodeName } = options;
  const value = parseManifest(path, text);
  if (!isObject(value)) throw new ManifestError(path, "couldn't parse as pod(not a Pod object)");
  if (value.kind === undefined || value.kind === "") {
    throw new ManifestError(path, "couldn't parse as pod(Object 'Kind' is missing)");
  }
  if (value.kind !== "Pod" || value.apiVersion !== "v1") {
    throw new ManifestError(
      path,
      `couldn't parse as pod(expected apiVersion "v1" and kind "Pod", found apiVersion ${
        JSON.stringify(value.apiVersion)
      } and kind ${JSON.stringify(value.kind)})`,
    );
  }
  const pod = structuredClone(value) as Pod;
  if (pod.metadata !== undefined && !isObject(pod.metadata)) {
    throw new ManifestError(path, "invalid pod: metadata is not an object");
  }
  if (pod.spec !== undefined && !isObject(pod.spec)) {
    throw new ManifestError(path, "invalid pod: spec is not an object");
  }
  pod.metadata ??= {};
  if (!pod.metadata.name) throw new ManifestError(path, "invalid pod: name is needed for the pod");
  pod.spec ??= { containers: [] };
  delete pod.status;
  options.defaultPod?.(pod);

  if (!pod.metadata.uid) pod.metadata.uid = staticPodUid(pod, { nodeName, path });
  pod.metadata.name = `${pod.metadata.name}-${nodeName.toLowerCase()}`;
  pod.metadata.namespace ||= "default";
  pod.spec.nodeName = nodeName;
  pod.metadata.annotations = {
    ...pod.metadata.annotations,
    [CONFIG_HASH_ANNOTATION]: pod.metadata.uid,
    [CONFIG_SEEN_ANNOTATION]: formatRfc3339Nano(options.seenMs),
    [CONFIG_SOURCE_ANNOTATION]: FILE_SOURCE,
  };
  addToleration(pod, { operator: "Exists", effect: "NoExecute" });
  pod.status = { phase: "Pending" };

  const errors = options.validatePod ? options.validatePod(pod) : basicErrors(pod);
  if (errors.length > 0) throw new ManifestError(path, `invalid pod: [${errors.join(", ")}]`);
  for (const v of pod.spec.volumes ?? []) {
    if ((v.projected?.sources ?? []).some((s) => s.clusterTrustBundle)) {
      throw new ManifestError(
        path,
        "static pods may not use ClusterTrustBundle projected volume sources",
      );
    }
  }
  if ((pod.spec.resourceClaims ?? []).length > 0) {
    throw new ManifestError(path, "static pods may not use ResourceClaims");
  }
  return pod;
}
