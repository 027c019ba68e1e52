/**
 * A fake pods API for the status manager's and workers' tests: stored pods with
 * resourceVersions, recorded status writes and deletes, injectable conflicts and failures.
 *
 * @module
 */
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { Status } from "../../control/api/types/meta_v1.ts";
import { StatusError } from "../../control/client/errors.ts";
import type { PodStatusApi } from "./pod_status_manager.ts";

function failure(code: number, reason: string, message: string): StatusError {
  return new StatusError({
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    code,
    reason,
    message,
  });
}

/** One recorded delete. */
export interface RecordedDelete {
  readonly namespace: string | undefined;
  readonly name: string;
  readonly gracePeriodSeconds: number | undefined;
  readonly uid: string | undefined;
}

/** An in-memory pods API. */
export class FakePodApi implements PodStatusApi {
  readonly pods = new Map<string, Pod>();
  readonly writes: Pod[] = [];
  readonly deletes: RecordedDelete[] = [];
  /** Status writes to answer with 409 Conflict before one succeeds. */
  conflicts = 0;
  /** Status writes to answer with 500 before one succeeds. */
  failures = 0;
  #rv = 1;

  /** Stores `pod` (as created through the API) and answers the stored copy. */
  put(pod: Pod): Pod {
    const stored: Pod = structuredClone(pod);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.#rv) };
    this.pods.set(`${pod.metadata?.namespace}/${pod.metadata?.name}`, stored);
    return structuredClone(stored);
  }

  get(name: string, options: { readonly namespace?: string }): Promise<Pod> {
    const pod = this.pods.get(`${options.namespace}/${name}`);
    if (!pod) return Promise.reject(failure(404, "NotFound", `pods "${name}" not found`));
    return Promise.resolve(structuredClone(pod));
  }

  updateStatus(obj: Pod): Promise<Pod> {
    const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const current = this.pods.get(key);
    if (!current) {
      return Promise.reject(failure(404, "NotFound", `pods "${obj.metadata?.name}" not found`));
    }
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(failure(500, "InternalError", "boom"));
    }
    if (this.conflicts > 0 || obj.metadata?.resourceVersion !== current.metadata?.resourceVersion) {
      if (this.conflicts > 0) this.conflicts--;
      return Promise.reject(
        failure(409, "Conflict", `Operation cannot be fulfilled on pods "${obj.metadata?.name}"`),
      );
    }
    this.writes.push(structuredClone(obj));
    const stored = { ...current, status: structuredClone(obj.status ?? {}) };
    return Promise.resolve(this.put(stored));
  }

  delete(
    name: string,
    options: {
      readonly namespace?: string;
      readonly gracePeriodSeconds?: number;
      readonly preconditions?: { readonly uid?: string };
    },
  ): Promise<Pod | Status> {
    this.deletes.push({
      namespace: options.namespace,
      name,
      gracePeriodSeconds: options.gracePeriodSeconds,
      uid: options.preconditions?.uid,
    });
    const key = `${options.namespace}/${name}`;
    const pod = this.pods.get(key);
    if (!pod) return Promise.reject(failure(404, "NotFound", `pods "${name}" not found`));
    this.pods.delete(key);
    return Promise.resolve(pod);
  }
}
