/**
 * Carries out the preemptions PostFilter decides, through the API (upstream's preemption
 * `Executor` with asynchronous preemption): {@linkcode PreemptionExecutor.preempt} marks the
 * preemptor as preempting at once and returns; in the background it clears `nominatedNodeName`
 * of the lower-priority pods nominated to the node, then evicts every victim but the last,
 * stops reporting the preemptor as preempting, and evicts the last victim — so that the last
 * deletion is what moves the preemptor back to the active queue. Evicting a victim means a
 * `DisruptionTarget` condition patched into its status, a delete (a victim already gone is fine)
 * and a `Preempted` event about it. When an API call fails, the preemptor is activated so that it
 * cannot be left waiting for events that will never come.
 *
 * @module
 */
import type { Pod, PodCondition } from "../api/types/core_v1_pod.ts";
import type { Client } from "../client/client.ts";
import { isNotFound } from "../client/errors.ts";
import { PODS } from "../client/resources.ts";
import type { Logger } from "../util/logger.ts";
import type { EventRecorder } from "./_event_recorder.ts";
import type { Preemption, Preemptor } from "./framework.ts";
import { disruptionTargetCondition, preemptedEvent } from "./plugins/default_preemption.ts";

/** What {@linkcode PreemptionExecutor} needs. */
export interface PreemptionExecutorDeps {
  readonly client: Client;
  readonly logger: Logger;
  /** Now, as an RFC 3339 time (condition transition times). */
  readonly now: () => string;
  /** The recorder of the preemptor's profile, for `Preempted` events. */
  readonly recorderFor: (pod: Pod) => EventRecorder | undefined;
  /** Moves the preemptor to the active queue (after a failed API call). */
  readonly activate: (pod: Pod) => void;
}

function keyOf(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

function uidOf(pod: Pod): string {
  return pod.metadata?.uid || keyOf(pod);
}

/** Whether `conditions` already has `condition` (same type, status, reason and message). */
function hasCondition(conditions: readonly PodCondition[], condition: PodCondition): boolean {
  return conditions.some((c) =>
    c.type === condition.type && c.status === condition.status &&
    (c.reason ?? "") === (condition.reason ?? "") && (c.message ?? "") === (condition.message ?? "")
  );
}

/** The Preemptor the scheduler hands its frameworks. */
export class PreemptionExecutor implements Preemptor {
  readonly #deps: PreemptionExecutorDeps;
  readonly #preempting = new Set<string>();
  readonly #running = new Set<Promise<void>>();

  constructor(deps: PreemptionExecutorDeps) {
    this.#deps = deps;
  }

  /** Starts `preemption` in the background; see the module docs. */
  preempt(preemption: Preemption): void {
    const uid = uidOf(preemption.preemptor);
    this.#preempting.add(uid);
    const work = this.#run(preemption).catch((err) => {
      this.#deps.logger.error("Preemption failed", {
        preemptor: keyOf(preemption.preemptor),
        error: err,
      });
    }).finally(() => {
      this.#preempting.delete(uid);
      this.#running.delete(work);
    });
    this.#running.add(work);
  }

  /** Whether the preemption started by the pod with `podUid` is still under way. */
  isPreempting(podUid: string): boolean {
    return this.#preempting.has(podUid);
  }

  /** Waits for the preemptions under way to end. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }

  async #run(preemption: Preemption): Promise<void> {
    const { preemptor, nodeName, victims } = preemption;
    const logger = this.#deps.logger.with({ preemptor: keyOf(preemptor), node: nodeName });
    logger.info("Start the preemption asynchronously", { numVictims: victims.length });
    let failed = false;
    for (const pod of preemption.nominatedPodsToClear) {
      if (!pod.status?.nominatedNodeName) continue;
      try {
        await this.#patchStatus(pod, { nominatedNodeName: null });
      } catch (err) {
        failed = true;
        logger.error(
          "Cannot clear 'NominatedNodeName' field from lower priority pods on the same target node",
          { pod: keyOf(pod), error: err },
        );
      }
    }
    const last = victims.at(-1);
    const results = await Promise.allSettled(
      victims.slice(0, -1).map((victim) => this.#evict(preemption, victim)),
    );
    for (const r of results) {
      if (r.status === "rejected") {
        failed = true;
        logger.error("Error occurred during async preemption", { error: r.reason });
      }
    }
    this.#preempting.delete(uidOf(preemptor));
    if (last !== undefined) {
      try {
        await this.#evict(preemption, last);
      } catch (err) {
        failed = true;
        logger.error("Error occurred during async preemption", { error: err });
      }
    }
    if (failed) this.#deps.activate(preemptor);
    logger.info("Async preemption finished", { result: failed ? "error" : "success" });
  }

  async #evict(preemption: Preemption, victim: Pod): Promise<void> {
    const condition = disruptionTargetCondition(preemption.preemptor, this.#deps.now());
    try {
      if (!hasCondition(victim.status?.conditions ?? [], condition)) {
        await this.#patchStatus(victim, { conditions: [condition] });
      }
      await this.#deps.client.resource(PODS).delete(victim.metadata?.name ?? "", {
        namespace: victim.metadata?.namespace ?? "",
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#deps.logger.info("Victim Pod is already deleted", { victim: keyOf(victim) });
      return;
    }
    const event = preemptedEvent(preemption);
    this.#deps.recorderFor(preemption.preemptor)?.record(victim, {
      type: event.type,
      reason: event.reason,
      action: event.action,
      note: event.message,
    }, preemption.preemptor);
  }

  async #patchStatus(pod: Pod, status: Record<string, unknown>): Promise<void> {
    await this.#deps.client.resource(PODS).patch(pod.metadata?.name ?? "", {
      namespace: pod.metadata?.namespace ?? "",
      type: "strategic",
      subresource: "status",
      body: { status },
    });
  }
}
