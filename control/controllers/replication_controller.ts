/**
 * The ReplicationController controller, as kube-controller-manager's `replicationcontroller`
 * (upstream's replication manager): the ReplicaSet controller's logic
 * ({@linkcode ReplicatedPodsController}) run over core/v1 ReplicationControllers, whose
 * `map[string]string` selector stands for a LabelSelector of `matchLabels`. It creates, adopts,
 * releases and deletes pods with controllerRefs of kind `v1/ReplicationController`, records
 * `SuccessfulCreate`/`SuccessfulDelete` events as `replication-controller`, and reports the same
 * status as a ReplicaSet (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas,
 * observedGeneration, the `ReplicaFailure` condition).
 *
 * @example Run it under the controller manager
 * ```ts ignore
 * const manager = new ControllerManager({
 *   client,
 *   clock,
 *   logger,
 *   identity,
 *   registry: [{
 *     name: REPLICATIONCONTROLLER_CONTROLLER_NAME,
 *     factory: replicationControllerController,
 *   }],
 * });
 * ```
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { ReplicationController } from "../api/types/core_v1_replication_controller.ts";
import type { Client } from "../client/client.ts";
import { PODS, REPLICATION_CONTROLLERS } from "../client/resources.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { InformerLike } from "./_controller_loop.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";
import type { ControllerKind } from "./controller_ref_manager.ts";
import { ApiPodControl, type PodControl } from "./pod_control.ts";
import {
  type ReplicaSetControllerOptions,
  type ReplicatedKind,
  ReplicatedPodsController,
} from "./replicaset.ts";

/** The controller's name in `--controllers` and in logs. */
export const REPLICATIONCONTROLLER_CONTROLLER_NAME = "replicationcontroller";

/** The `source.component` of the events it records. */
export const REPLICATION_CONTROLLER_EVENT_SOURCE = "replication-controller";

/** The kind the controller manages. */
export const REPLICATION_CONTROLLER_KIND: ControllerKind = Object.freeze({
  apiVersion: "v1",
  kind: "ReplicationController",
});

/** ReplicationControllers, as {@linkcode ReplicationManager} runs the ReplicaSet logic for them. */
export const REPLICATION_CONTROLLER_REPLICATED_KIND: ReplicatedKind<ReplicationController> = Object
  .freeze({
    name: REPLICATIONCONTROLLER_CONTROLLER_NAME,
    kind: REPLICATION_CONTROLLER_KIND,
    resource: REPLICATION_CONTROLLERS,
    // Upstream converts the map into a LabelSelector of matchLabels; no map selects nothing.
    selector: (rc: ReplicationController) => {
      const selector = rc.spec?.selector;
      return selector === undefined ? undefined : { matchLabels: selector };
    },
  });

/** What {@linkcode ReplicationManager} works with. */
export interface ReplicationManagerDeps {
  /** Reads ReplicationControllers past the cache (before adopting) and writes their status. */
  readonly client: Client;
  readonly rcInformer: InformerLike<ReplicationController>;
  readonly podInformer: InformerLike<Pod>;
  readonly podControl: PodControl;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Keeps ReplicationControllers' pods at the desired count. */
export class ReplicationManager extends ReplicatedPodsController<ReplicationController> {
  constructor(deps: ReplicationManagerDeps, options: ReplicaSetControllerOptions = {}) {
    const { rcInformer, ...rest } = deps;
    super({ ...rest, informer: rcInformer, kind: REPLICATION_CONTROLLER_REPLICATED_KIND }, options);
  }
}

/** Builds the `replicationcontroller` controller on the manager's shared informers. */
export function replicationControllerController(context: ControllerContext): RunnableController {
  return new ReplicationManager({
    client: context.client,
    rcInformer: context.informers.informerFor(REPLICATION_CONTROLLERS),
    podInformer: context.informers.informerFor(PODS),
    podControl: new ApiPodControl({
      client: context.client,
      recorder: context.recorder(REPLICATION_CONTROLLER_EVENT_SOURCE),
      logger: context.logger,
    }),
    clock: context.clock,
    logger: context.logger,
  });
}
