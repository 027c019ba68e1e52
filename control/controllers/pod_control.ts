/**
 * How workload controllers create, delete and patch pods (upstream `PodControlInterface`):
 * {@linkcode ApiPodControl} writes through the API and records the events upstream records
 * (`SuccessfulCreate` "Created pod: …", `FailedCreate` "Error creating: …", `SuccessfulDelete`
 * "Deleted pod: …", `FailedDelete` "Error deleting: …"); {@linkcode FakePodControl} records
 * calls for unit tests.
 *
 * @example Build the pod a ReplicaSet would create
 * ```ts
 * import assert from "node:assert/strict";
 * import { podFromTemplate } from "./pod_control.ts";
 *
 * const pod = podFromTemplate(
 *   { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox" }] } },
 *   { ownerName: "web" },
 * );
 * assert.equal(pod.metadata?.generateName, "web-");
 * assert.deepEqual(pod.metadata?.labels, { app: "web" });
 * ```
 *
 * @module
 */
import type { Pod, PodTemplateSpec } from "../api/types/core_v1_pod.ts";
import type { KubeObject, OwnerReference } from "../api/types/meta_v1.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isNotFound, StatusError } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import { PODS } from "../client/resources.ts";
import type { Logger } from "../util/logger.ts";
import { errorText } from "./_errors.ts";

/** Reason of the event and condition when a pod cannot be created. */
export const FAILED_CREATE_POD_REASON = "FailedCreate";
/** Reason of the event when a pod was created. */
export const SUCCESSFUL_CREATE_POD_REASON = "SuccessfulCreate";
/** Reason of the event and condition when a pod cannot be deleted. */
export const FAILED_DELETE_POD_REASON = "FailedDelete";
/** Reason of the event when a pod was deleted. */
export const SUCCESSFUL_DELETE_POD_REASON = "SuccessfulDelete";

/** What {@linkcode PodControl.createPods} creates: one pod from `template`. */
export interface CreatePodsRequest {
  readonly namespace: string;
  readonly template: PodTemplateSpec;
  /** The object the pod is for (named in events, its name prefixes the pod's). */
  readonly owner: KubeObject;
  /** The pod's controllerRef (`controller: true`, `blockOwnerDeletion: true`). */
  readonly controllerRef?: OwnerReference;
  /** The pod's name prefix (an Indexed Job's `<job>-<index>-`); unset: `<owner>-`. */
  readonly generateName?: string;
}

/** What {@linkcode PodControl.deletePod} deletes. */
export interface DeletePodRequest {
  readonly namespace: string;
  readonly name: string;
  /** The object the pod belonged to (named in events). */
  readonly owner: KubeObject;
}

/** What {@linkcode PodControl.patchPod} patches (a strategic merge patch). */
export interface PatchPodRequest {
  readonly namespace: string;
  readonly name: string;
  readonly patch: unknown;
}

/** Creates, deletes and patches pods on behalf of a controller. */
export interface PodControl {
  /** Creates one pod from the template; rejects with the API's error. */
  createPods(request: CreatePodsRequest): Promise<void>;
  /** Deletes a pod; rejects with a NotFound StatusError as is when it is already gone. */
  deletePod(request: DeletePodRequest): Promise<void>;
  patchPod(request: PatchPodRequest): Promise<void>;
}

/** What {@linkcode podFromTemplate} needs besides the template. */
export interface PodFromTemplateOptions {
  /** The owner's name: the pod is named `<ownerName>-<random>`. */
  readonly ownerName: string;
  readonly controllerRef?: OwnerReference;
}

/** The longest object name (a DNS subdomain). */
const MAX_NAME_LENGTH = 253;

/**
 * The pod a controller creates from `template` (upstream `GetPodFromTemplate`): its labels,
 * annotations, finalizers and spec copied, `generateName: <owner>-`, the controllerRef as its
 * only owner reference.
 */
export function podFromTemplate(template: PodTemplateSpec, options: PodFromTemplateOptions): Pod {
  const meta = template.metadata ?? {};
  // `<owner>-` unless that is too long to be a valid prefix: then the owner's name itself.
  const prefix = options.ownerName.length + 1 <= MAX_NAME_LENGTH
    ? `${options.ownerName}-`
    : options.ownerName;
  const metadata: NonNullable<Pod["metadata"]> = { generateName: prefix };
  if (meta.labels) metadata.labels = { ...meta.labels };
  if (meta.annotations) metadata.annotations = { ...meta.annotations };
  if (meta.finalizers && meta.finalizers.length > 0) metadata.finalizers = [...meta.finalizers];
  if (options.controllerRef) metadata.ownerReferences = [{ ...options.controllerRef }];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata,
    spec: structuredClone(template.spec ?? { containers: [] }),
  };
}

function hasStatusCause(err: unknown, reason: string): boolean {
  return err instanceof StatusError &&
    (err.details?.causes ?? []).some((cause) => cause.reason === reason);
}

/** Whether `err` says the namespace is being deleted (creations there always fail). */
export function isNamespaceTerminating(err: unknown): boolean {
  return hasStatusCause(err, "NamespaceTerminating");
}

/** What {@linkcode ApiPodControl} works with. */
export interface ApiPodControlDeps {
  readonly client: Client;
  readonly recorder: EventRecorder;
  readonly logger?: Logger;
}

/** Pod writes through the API, with upstream's events (upstream `RealPodControl`). */
export class ApiPodControl implements PodControl {
  readonly #pods: ResourceClient<Pod>;
  readonly #recorder: EventRecorder;
  readonly #logger: Logger | undefined;

  constructor(deps: ApiPodControlDeps) {
    this.#pods = deps.client.resource(PODS);
    this.#recorder = deps.recorder;
    this.#logger = deps.logger;
  }

  async createPods(request: CreatePodsRequest): Promise<void> {
    const pod = podFromTemplate(request.template, {
      ownerName: request.owner.metadata?.name ?? "",
      ...(request.controllerRef ? { controllerRef: request.controllerRef } : {}),
    });
    if (request.generateName !== undefined) pod.metadata!.generateName = request.generateName;
    if (Object.keys(pod.metadata?.labels ?? {}).length === 0) {
      throw new Error("unable to create pods, no labels");
    }
    let created: Pod;
    try {
      created = await this.#pods.create(pod, { namespace: request.namespace });
    } catch (err) {
      // Creations in a namespace being deleted fail anyway: no event for them.
      if (!isNamespaceTerminating(err)) {
        this.#recorder.event(request.owner, {
          type: "Warning",
          reason: FAILED_CREATE_POD_REASON,
          message: `Error creating: ${errorText(err)}`,
        });
      }
      throw err;
    }
    this.#logger?.debug("Controller created pod", {
      controller: request.owner.metadata?.name,
      pod: `${request.namespace}/${created.metadata?.name}`,
    });
    this.#recorder.event(request.owner, {
      type: "Normal",
      reason: SUCCESSFUL_CREATE_POD_REASON,
      message: `Created pod: ${created.metadata?.name ?? ""}`,
    });
  }

  async deletePod(request: DeletePodRequest): Promise<void> {
    try {
      await this.#pods.delete(request.name, { namespace: request.namespace });
    } catch (err) {
      if (isNotFound(err)) {
        this.#logger?.debug("Pod has already been deleted", {
          pod: `${request.namespace}/${request.name}`,
        });
        throw err;
      }
      this.#recorder.event(request.owner, {
        type: "Warning",
        reason: FAILED_DELETE_POD_REASON,
        message: `Error deleting: ${errorText(err)}`,
      });
      throw new Error(`unable to delete pods: ${errorText(err)}`, { cause: err });
    }
    this.#recorder.event(request.owner, {
      type: "Normal",
      reason: SUCCESSFUL_DELETE_POD_REASON,
      message: `Deleted pod: ${request.name}`,
    });
  }

  async patchPod(request: PatchPodRequest): Promise<void> {
    await this.#pods.patch(request.name, {
      namespace: request.namespace,
      type: "strategic",
      body: request.patch,
    });
  }
}

/** A {@linkcode PodControl} for tests: records calls; fails when told to. */
export class FakePodControl implements PodControl {
  /** Every template a creation was asked for, in order (successful or not). */
  readonly creates: CreatePodsRequest[] = [];
  /** Every pod deletion asked for (`namespace/name`). */
  readonly deletes: string[] = [];
  /** Every patch asked for. */
  readonly patches: PatchPodRequest[] = [];
  /** When set, creations fail with it. */
  createError: Error | null = null;
  /** Creations beyond this many (counted over the object's life) fail. */
  createLimit = Infinity;
  /** When set, deletions fail with it. */
  deleteError: Error | null = null;
  /** When set, patches fail with it. */
  patchError: Error | null = null;
  #createCalls = 0;

  createPods(request: CreatePodsRequest): Promise<void> {
    this.creates.push(request);
    this.#createCalls++;
    if (this.createError) return Promise.reject(this.createError);
    if (this.#createCalls > this.createLimit) {
      return Promise.reject(
        new Error(`not creating pod, limit ${this.createLimit} already reached`),
      );
    }
    return Promise.resolve();
  }

  deletePod(request: DeletePodRequest): Promise<void> {
    this.deletes.push(`${request.namespace}/${request.name}`);
    return this.deleteError ? Promise.reject(this.deleteError) : Promise.resolve();
  }

  patchPod(request: PatchPodRequest): Promise<void> {
    this.patches.push(request);
    return this.patchError ? Promise.reject(this.patchError) : Promise.resolve();
  }

  /** Forgets what was recorded. */
  clear(): void {
    this.creates.length = 0;
    this.deletes.length = 0;
    this.patches.length = 0;
    this.#createCalls = 0;
  }
}
