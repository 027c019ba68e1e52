/**
 * How the StatefulSet controller writes pods and claims (upstream `StatefulPodControl`):
 * claims are created before their pod, identities and storage are repaired by updates, claim
 * owner references follow the retention policy, and every write is recorded as upstream's
 * events (`SuccessfulCreate` "create Pod web-0 in StatefulSet web successful",
 * "create Claim www-web-0 Pod web-0 in StatefulSet web success", `FailedCreate` "… failed
 * error: …", `SuccessfulDelete`, `SuccessfulUpdate`, `ConflictingController`).
 *
 * Reads go to the informer caches (the listers); writes through the API.
 *
 * @module
 */
import type { StatefulSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { PersistentVolumeClaim } from "../api/types/core_v1_storage.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isAlreadyExists, isConflict } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import { PERSISTENT_VOLUME_CLAIMS, PODS } from "../client/resources.ts";
import type { ObjectStore } from "../client/store.ts";
import type { Logger } from "../util/logger.ts";
import { aggregateErrors, errorText } from "./_errors.ts";
import {
  claimOwnerRefsForPolicy,
  hasStaleOwnerRef,
  hasUnexpectedController,
  identityMatches,
  isClaimOwnerUpToDate,
  ordinalOf,
  persistentVolumeClaimName,
  persistentVolumeClaims,
  POD_KIND,
  retentionPolicy,
  storageMatches,
  updateIdentity,
  updateStorage,
} from "./_stateful_set_utils.ts";

/** The writes the StatefulSet control loop makes (a fake in tests). */
export interface StatefulPodControl {
  /** Creates the pod's missing claims, then the pod. Rejects AlreadyExists without an event. */
  createStatefulPod(set: StatefulSet, pod: Pod): Promise<void>;
  /** Repairs the pod's identity, storage and claim ownership, if needed, by an update. */
  updateStatefulPod(set: StatefulSet, pod: Pod): Promise<void>;
  deleteStatefulPod(set: StatefulSet, pod: Pod): Promise<void>;
  /** Whether the pod's claims have the owner references the retention policy asks for. */
  claimsMatchRetentionPolicy(set: StatefulSet, pod: Pod): boolean;
  /** Rewrites the owner references of the pod's claims for the retention policy. */
  updatePodClaimForRetentionPolicy(set: StatefulSet, pod: Pod): Promise<void>;
  /**
   * Whether, under `whenScaled: Delete`, a claim of the pod still belongs to an earlier pod of
   * that name (it waits to be garbage collected before the pod is made again).
   */
  podClaimIsStale(set: StatefulSet, pod: Pod): boolean;
  /** Creates claims a pending pod is missing and fixes their ownership. */
  createMissingPersistentVolumeClaims(set: StatefulSet, pod: Pod): Promise<void>;
}

/** What {@linkcode ApiStatefulPodControl} works with. */
export interface ApiStatefulPodControlDeps {
  readonly client: Client;
  /** The pod informer's cache. */
  readonly podStore: ObjectStore<Pod>;
  /** The PersistentVolumeClaim informer's cache. */
  readonly claimStore: ObjectStore<PersistentVolumeClaim>;
  readonly recorder: EventRecorder;
  readonly logger?: Logger;
}

function title(verb: string): string {
  return verb.charAt(0).toUpperCase() + verb.slice(1);
}

/** Conflicting writes retried (upstream `retry.DefaultBackoff`'s steps). */
const UPDATE_ATTEMPTS = 4;

/** Pod and claim writes through the API, with upstream's events. */
export class ApiStatefulPodControl implements StatefulPodControl {
  readonly #pods: ResourceClient<Pod>;
  readonly #claims: ResourceClient<PersistentVolumeClaim>;
  readonly #deps: ApiStatefulPodControlDeps;

  constructor(deps: ApiStatefulPodControlDeps) {
    this.#deps = deps;
    this.#pods = deps.client.resource(PODS);
    this.#claims = deps.client.resource(PERSISTENT_VOLUME_CLAIMS);
  }

  #claim(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.#deps.claimStore.get(`${namespace}/${name}`);
  }

  /** The cached claims of the pod's volume claim templates with their names (none if missing). */
  *#cachedClaims(
    set: StatefulSet,
    pod: Pod,
  ): Generator<{ readonly name: string; readonly claim: PersistentVolumeClaim }> {
    const namespace = set.metadata?.namespace ?? "";
    const ordinal = ordinalOf(pod);
    for (const template of set.spec?.volumeClaimTemplates ?? []) {
      const name = persistentVolumeClaimName(set, {
        template: template.metadata?.name ?? "",
        ordinal,
      });
      const claim = this.#claim(namespace, name);
      if (claim) yield { name, claim };
    }
  }

  #podEvent(verb: string, at: { set: StatefulSet; pod: Pod; error?: unknown }): void {
    const pod = at.pod.metadata?.name ?? "";
    const set = at.set.metadata?.name ?? "";
    this.#writeEvent(at.set, {
      verb,
      success: `Pod ${pod} in StatefulSet ${set} successful`,
      failure: `Pod ${pod} in StatefulSet ${set}`,
      error: at.error,
    });
  }

  #claimEvent(
    verb: string,
    at: { set: StatefulSet; pod: Pod; claim: string; error?: unknown },
  ): void {
    const pod = at.pod.metadata?.name ?? "";
    const set = at.set.metadata?.name ?? "";
    this.#writeEvent(at.set, {
      verb,
      success: `Claim ${at.claim} Pod ${pod} in StatefulSet ${set} success`,
      failure: `Claim ${at.claim} for Pod ${pod} in StatefulSet ${set}`,
      error: at.error,
    });
  }

  /**
   * Records a write's `Successful<Verb>` event (`<verb> <success>`) or, with an error, its
   * `Failed<Verb>` warning (`<verb> <failure> failed error: <error>`), in upstream's words.
   */
  #writeEvent(
    set: StatefulSet,
    write: { verb: string; success: string; failure: string; error: unknown },
  ): void {
    const { verb, error } = write;
    if (error === undefined) {
      this.#deps.recorder.event(set, {
        type: "Normal",
        reason: `Successful${title(verb)}`,
        message: `${verb} ${write.success}`,
      });
    } else {
      this.#deps.recorder.event(set, {
        type: "Warning",
        reason: `Failed${title(verb)}`,
        message: `${verb} ${write.failure} failed error: ${errorText(error)}`,
      });
    }
  }

  async createStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.#createClaims(set, pod);
    } catch (err) {
      this.#podEvent("create", { set, pod, error: err });
      throw err;
    }
    try {
      await this.#pods.create(pod, { namespace: set.metadata?.namespace ?? "" });
    } catch (err) {
      if (!isAlreadyExists(err)) this.#podEvent("create", { set, pod, error: err });
      throw err;
    }
    try {
      await this.updatePodClaimForRetentionPolicy(set, pod);
    } catch (err) {
      this.#podEvent("update", { set, pod, error: err });
      throw err;
    }
    this.#podEvent("create", { set, pod });
  }

  async updateStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    let current = structuredClone(pod);
    let attempted = false;
    let lastError: unknown = undefined;
    for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
      let consistent = true;
      if (!identityMatches(set, current)) {
        updateIdentity(set, current);
        consistent = false;
      }
      try {
        if (!storageMatches(set, current)) {
          updateStorage(set, current);
          consistent = false;
          await this.#createClaims(set, current);
        }
        if (!this.claimsMatchRetentionPolicy(set, current)) {
          await this.updatePodClaimForRetentionPolicy(set, current);
          consistent = false;
        }
      } catch (err) {
        this.#podEvent("update", { set, pod: current, error: err });
        throw err;
      }
      if (consistent) return;
      attempted = true;
      try {
        await this.#pods.update(current, { namespace: set.metadata?.namespace ?? "" });
        lastError = undefined;
        break;
      } catch (err) {
        lastError = err;
        if (!isConflict(err) || attempt === UPDATE_ATTEMPTS) break;
        const { namespace = "", name = "" } = current.metadata ?? {};
        try {
          current = await this.#pods.get(name, { namespace });
        } catch (getErr) {
          this.#deps.logger?.warn("Cannot read the pod again after a conflict", {
            pod: `${namespace}/${name}`,
            error: getErr,
          });
        }
      }
    }
    if (attempted) {
      this.#podEvent("update", {
        set,
        pod: current,
        ...(lastError !== undefined ? { error: lastError } : {}),
      });
    }
    if (lastError !== undefined) throw lastError;
  }

  async deleteStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.#pods.delete(pod.metadata?.name ?? "", {
        namespace: pod.metadata?.namespace ?? set.metadata?.namespace ?? "",
      });
    } catch (err) {
      this.#podEvent("delete", { set, pod, error: err });
      throw err;
    }
    this.#podEvent("delete", { set, pod });
  }

  claimsMatchRetentionPolicy(set: StatefulSet, pod: Pod): boolean {
    // A missing claim is made in a later pass.
    for (const { claim } of this.#cachedClaims(set, pod)) {
      if (!isClaimOwnerUpToDate(claim, { set, pod })) return false;
    }
    return true;
  }

  async updatePodClaimForRetentionPolicy(set: StatefulSet, pod: Pod): Promise<void> {
    const namespace = set.metadata?.namespace ?? "";
    for (const { name, claim } of this.#cachedClaims(set, pod)) {
      if (hasUnexpectedController(claim, { set, pod })) {
        this.#deps.recorder.event(set, {
          type: "Warning",
          reason: "ConflictingController",
          message:
            `PersistentVolumeClaim ${name} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim`,
        });
      }
      if (isClaimOwnerUpToDate(claim, { set, pod })) continue;
      const updated = structuredClone(claim);
      updated.metadata = {
        ...updated.metadata,
        ownerReferences: claimOwnerRefsForPolicy(claim, { set, pod }),
      };
      try {
        await this.#claims.update(updated, { namespace });
      } catch (err) {
        throw new Error(
          `could not update claim ${name} for delete policy ownerRefs: ${errorText(err)}`,
          { cause: err },
        );
      }
    }
  }

  podClaimIsStale(set: StatefulSet, pod: Pod): boolean {
    if (retentionPolicy(set).whenScaled === "Retain") return false;
    for (const claim of persistentVolumeClaims(set, ordinalOf(pod)).values()) {
      const existing = this.#claim(claim.metadata?.namespace ?? "", claim.metadata?.name ?? "");
      if (existing && hasStaleOwnerRef(existing, { object: pod, kind: POD_KIND })) return true;
    }
    return false;
  }

  async createMissingPersistentVolumeClaims(set: StatefulSet, pod: Pod): Promise<void> {
    await this.#createClaims(set, pod);
    try {
      await this.updatePodClaimForRetentionPolicy(set, pod);
    } catch (err) {
      this.#podEvent("update", { set, pod, error: err });
      throw err;
    }
  }

  /** Creates each claim the pod needs that the cache does not have (upstream's order). */
  async #createClaims(set: StatefulSet, pod: Pod): Promise<void> {
    const errors: Error[] = [];
    for (const claim of persistentVolumeClaims(set, ordinalOf(pod)).values()) {
      const namespace = claim.metadata?.namespace ?? "";
      const name = claim.metadata?.name ?? "";
      const existing = this.#claim(namespace, name);
      if (existing) {
        if (existing.metadata?.deletionTimestamp) {
          errors.push(new Error(`pvc ${name} is being deleted`));
        }
        continue;
      }
      try {
        await this.#claims.create(claim, { namespace });
        this.#claimEvent("create", { set, pod, claim: name });
      } catch (err) {
        errors.push(new Error(`failed to create PVC ${name}: ${errorText(err)}`, { cause: err }));
        if (!isAlreadyExists(err)) {
          this.#claimEvent("create", { set, pod, claim: name, error: err });
        }
      }
    }
    if (errors.length > 0) throw aggregateErrors(errors);
  }
}
