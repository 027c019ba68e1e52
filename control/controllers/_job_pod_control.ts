/**
 * Pod writes of the Job controller: creations may carry an explicit `generateName` (an Indexed
 * Job's `<job>-<index>-`, which {@linkcode ApiPodControl} takes); the
 * `batch.kubernetes.io/job-tracking` finalizer patches; and the
 * adoption and release patches of the Job's claim, which add and remove that finalizer along
 * with the controllerRef (upstream's `PodControllerRefManager` built with finalizers).
 *
 * @module
 */
import { JOB_TRACKING_FINALIZER } from "../api/types/batch_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import {
  ApiPodControl,
  type ApiPodControlDeps,
  type CreatePodsRequest,
  type PatchPodRequest,
  type PodControl,
} from "./pod_control.ts";

export { JOB_TRACKING_FINALIZER } from "../api/types/batch_v1.ts";

/** A pod creation, optionally with its own `generateName`. */
export type JobPodCreateRequest = CreatePodsRequest;

/** What the Job controller needs to create, delete and patch pods. */
export interface JobPodControl extends PodControl {
  createPods(request: JobPodCreateRequest): Promise<void>;
}

/** Whether the pod carries the tracking finalizer. */
export function hasTrackingFinalizer(pod: Pick<Pod, "metadata">): boolean {
  return (pod.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
}

/** The strategic patch removing the tracking finalizer (and nothing else). */
export function removeTrackingFinalizerPatch(): unknown {
  return { metadata: { "$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER] } };
}

/**
 * A {@linkcode PodControl} for the claim of a Job: adoption patches also add the tracking
 * finalizer, release patches also remove it.
 */
export function trackingClaimControl(inner: PodControl): PodControl {
  return {
    createPods: (request) => inner.createPods(request),
    deletePod: (request) => inner.deletePod(request),
    patchPod: (request) => inner.patchPod({ ...request, patch: withFinalizerChange(request) }),
  };
}

function withFinalizerChange(request: PatchPodRequest): unknown {
  const patch = request.patch as { metadata?: Record<string, unknown> } | null;
  const meta = patch?.metadata;
  const refs = meta?.ownerReferences;
  if (!meta || !Array.isArray(refs)) return request.patch;
  const releasing = refs.some((r) => (r as { $patch?: string }).$patch === "delete");
  const extra = releasing
    ? { "$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER] }
    : { finalizers: [JOB_TRACKING_FINALIZER] };
  return { ...patch, metadata: { ...meta, ...extra } };
}

/** What {@linkcode ApiJobPodControl} works with. */
export type ApiJobPodControlDeps = ApiPodControlDeps;

/**
 * Pod writes through the API for the Job controller: {@linkcode ApiPodControl}'s, whose
 * creations take the request's `generateName`.
 */
export class ApiJobPodControl extends ApiPodControl implements JobPodControl {}
