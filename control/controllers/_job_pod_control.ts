/**
 * Pod writes of the Job controller: creations may carry an explicit `generateName` (an Indexed
 * Job's `<job>-<index>-`), with the same `SuccessfulCreate` / `FailedCreate` events as
 * {@linkcode ApiPodControl}; the `batch.kubernetes.io/job-tracking` finalizer patches; and the
 * adoption and release patches of the Job's claim, which add and remove that finalizer along
 * with the controllerRef (upstream's `PodControllerRefManager` built with finalizers).
 *
 * @module
 */
import { JOB_TRACKING_FINALIZER } from "../api/types/batch_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import { PODS } from "../client/resources.ts";
import type { Logger } from "../util/logger.ts";
import {
  ApiPodControl,
  type CreatePodsRequest,
  type DeletePodRequest,
  FAILED_CREATE_POD_REASON,
  isNamespaceTerminating,
  type PatchPodRequest,
  type PodControl,
  podFromTemplate,
  SUCCESSFUL_CREATE_POD_REASON,
} from "./pod_control.ts";

export { JOB_TRACKING_FINALIZER } from "../api/types/batch_v1.ts";

/** A pod creation, optionally with its own `generateName`. */
export interface JobPodCreateRequest extends CreatePodsRequest {
  /** The pod's name prefix; unset: `<owner>-`. */
  readonly generateName?: string;
}

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

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
export interface ApiJobPodControlDeps {
  readonly client: Client;
  readonly recorder: EventRecorder;
  readonly logger?: Logger;
}

/** Pod writes through the API for the Job controller. */
export class ApiJobPodControl implements JobPodControl {
  readonly #inner: ApiPodControl;
  readonly #pods: ResourceClient<Pod>;
  readonly #recorder: EventRecorder;

  constructor(deps: ApiJobPodControlDeps) {
    this.#inner = new ApiPodControl(deps);
    this.#pods = deps.client.resource(PODS);
    this.#recorder = deps.recorder;
  }

  async createPods(request: JobPodCreateRequest): Promise<void> {
    if (request.generateName === undefined) return await this.#inner.createPods(request);
    const pod = podFromTemplate(request.template, {
      ownerName: request.owner.metadata?.name ?? "",
      ...(request.controllerRef ? { controllerRef: request.controllerRef } : {}),
    });
    pod.metadata!.generateName = request.generateName;
    if (Object.keys(pod.metadata?.labels ?? {}).length === 0) {
      throw new Error("unable to create pods, no labels");
    }
    let created: Pod;
    try {
      created = await this.#pods.create(pod, { namespace: request.namespace });
    } catch (err) {
      if (!isNamespaceTerminating(err)) {
        this.#recorder.event(request.owner, {
          type: "Warning",
          reason: FAILED_CREATE_POD_REASON,
          message: `Error creating: ${errorText(err)}`,
        });
      }
      throw err;
    }
    this.#recorder.event(request.owner, {
      type: "Normal",
      reason: SUCCESSFUL_CREATE_POD_REASON,
      message: `Created pod: ${created.metadata?.name ?? ""}`,
    });
  }

  deletePod(request: DeletePodRequest): Promise<void> {
    return this.#inner.deletePod(request);
  }

  patchPod(request: PatchPodRequest): Promise<void> {
    return this.#inner.patchPod(request);
  }
}
