/**
 * The annotations a Deployment and its ReplicaSets carry for `kubectl rollout`, kept as
 * upstream's deployment controller keeps them:
 *
 * - the new ReplicaSet gets the Deployment's own annotations (so `kubernetes.io/change-cause`
 *   shows in `kubectl rollout history`), except those the Deployment keeps for itself;
 * - `deployment.kubernetes.io/revision` on a ReplicaSet only grows: a ReplicaSet that becomes
 *   new again (`kubectl rollout undo`) takes the next revision, and the one it had joins its
 *   `deployment.kubernetes.io/revision-history` (comma-separated, oldest first, cut to
 *   {@linkcode REVISION_HISTORY_LIMIT_CHARS} characters by dropping the oldest);
 * - the Deployment's own `deployment.kubernetes.io/revision` follows its new ReplicaSet's.
 *
 * @module
 */
import type { KubeObject } from "../api/types/meta_v1.ts";

/** A ReplicaSet's revision (and the Deployment's, which follows its new ReplicaSet's). */
export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
/** The revisions a ReplicaSet had before it became new again. */
export const REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history";
/** `spec.replicas` of the Deployment when it last scaled the ReplicaSet. */
export const DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas";
/** `spec.replicas + maxSurge` of the Deployment when it last scaled the ReplicaSet. */
export const MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas";
/** The length `revision-history` is cut to (upstream's default). */
export const REVISION_HISTORY_LIMIT_CHARS = 2000;

/** Deployment annotations never copied to a ReplicaSet (upstream `annotationsToSkip`). */
const ANNOTATIONS_TO_SKIP: ReadonlySet<string> = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  "deprecated.deployment.rollback.to",
]);

/** A revision annotation's number; 0 when absent or not a number. */
export function revisionOf(obj: KubeObject): number {
  const raw = obj.metadata?.annotations?.[REVISION_ANNOTATION];
  const n = raw === undefined ? 0 : Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/**
 * Copies `deployment`'s annotations onto `rs` (mutating its metadata) and raises its revision
 * to `revision`, recording the one it had in `revision-history`. Returns whether anything
 * changed (upstream `setNewReplicaSetAnnotations`).
 */
export function setNewReplicaSetAnnotations(
  rs: KubeObject,
  options: { readonly deployment: KubeObject; readonly revision: number },
): boolean {
  const { deployment, revision } = options;
  const annotations: Record<string, string> = { ...rs.metadata?.annotations };
  let changed = false;
  for (const [key, value] of Object.entries(deployment.metadata?.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(key) || annotations[key] === value) continue;
    annotations[key] = value;
    changed = true;
  }
  const had = revisionOf(rs);
  if (had < revision) {
    annotations[REVISION_ANNOTATION] = String(revision);
    changed = true;
    if (had > 0) {
      const history = annotations[REVISION_HISTORY_ANNOTATION];
      const entries = history ? history.split(",") : [];
      entries.push(String(had));
      while (entries.length > 1 && entries.join(",").length > REVISION_HISTORY_LIMIT_CHARS) {
        entries.shift();
      }
      annotations[REVISION_HISTORY_ANNOTATION] = entries.join(",");
    }
  }
  if (changed) rs.metadata = { ...rs.metadata, annotations };
  return changed;
}

/**
 * The Deployment's metadata with its revision annotation set to `revision`, or `undefined` when
 * it already says so (upstream `SetDeploymentRevision`).
 */
export function withDeploymentRevision(
  deployment: KubeObject,
  revision: number,
): KubeObject["metadata"] | undefined {
  const value = String(revision);
  if (revision <= 0 || deployment.metadata?.annotations?.[REVISION_ANNOTATION] === value) {
    return undefined;
  }
  return {
    ...deployment.metadata,
    annotations: { ...deployment.metadata?.annotations, [REVISION_ANNOTATION]: value },
  };
}
