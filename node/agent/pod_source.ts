/**
 * The pods the API binds to this node, fed to the pod workers: one informer on pods with
 * `fieldSelector=spec.nodeName=<node>` (the only pod list the Node authorizer allows a node),
 * every add and update passed on (deletions in progress included), a pod gone from the API
 * forgotten, and — once the first list is in — whatever the runtime still runs of pods that
 * no longer exist removed. Mirror pods are not passed on: the static pod source runs the
 * static pods they show. The ConfigMaps and Secrets each pod uses are registered with their
 * {@linkcode ReferencedObjects} so their watches follow the pods.
 *
 * @module
 */
import type { Client } from "../../control/client/client.ts";
import { Informer } from "../../control/client/informer.ts";
import { PODS } from "../../control/client/resources.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { ConfigMap, Secret } from "../../control/api/types/core_v1_config.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { podConfigMapNames, podSecretNames } from "../local_state/pod_references.ts";
import { isMirrorPod } from "../static_pods/mirror_pods.ts";
import type { ReferencedObjects } from "./referenced_objects.ts";

/** Where the pods go (the pod workers). */
export interface PodSink {
  update(pod: Pod): void;
  forget(podUid: string): void;
  removeOrphans(desiredPodUids: Iterable<string>): void;
}

/** What {@linkcode PodSource} needs. */
export interface PodSourceOptions {
  readonly client: Client;
  readonly nodeName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sink: PodSink;
  readonly configMaps?: ReferencedObjects<ConfigMap>;
  readonly secrets?: ReferencedObjects<Secret>;
  /** Pods that must survive the first list's orphan sweep: the static pods. */
  readonly otherDesiredPods?: () => Iterable<string>;
  /** Told about every pod as it is seen (the node-local store). */
  readonly onPod?: (pod: Pod) => void;
  readonly onPodGone?: (pod: Pod) => void;
}

/** The node's pods from the API (see the module doc). */
export class PodSource {
  readonly informer: Informer<Pod>;
  readonly #options: PodSourceOptions;

  constructor(options: PodSourceOptions) {
    this.#options = options;
    this.informer = new Informer(options.client.resource(PODS), {
      fieldSelector: `spec.nodeName=${options.nodeName}`,
      clock: options.clock,
      logger: options.logger.with({ component: "pod-source" }),
    });
    this.informer.addHandler({
      add: (pod) => this.#seen(pod),
      update: (_old, pod) => this.#seen(pod),
      delete: (pod) => this.#gone(pod),
    });
  }

  /** The pod with UID `uid` as last seen, if it is bound to the node. */
  podByUid(uid: string): Pod | undefined {
    return this.informer.store.list().find((p) => p.metadata?.uid === uid);
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const running = this.informer.run(signal);
    if (await this.informer.waitForSync(signal)) {
      const uids = this.informer.store.list().filter((p) => !isMirrorPod(p))
        .map((p) => p.metadata?.uid ?? "");
      this.#options.sink.removeOrphans([...uids, ...(this.#options.otherDesiredPods?.() ?? [])]);
    }
    await running;
  }

  #seen(pod: Pod): void {
    // A mirror pod only shows a static pod in the API; the static pod source runs it.
    if (isMirrorPod(pod)) return;
    const uid = pod.metadata?.uid ?? "";
    const namespace = pod.metadata?.namespace ?? "default";
    this.#options.configMaps?.setReferences(uid, namespace, podConfigMapNames(pod));
    this.#options.secrets?.setReferences(uid, namespace, podSecretNames(pod));
    this.#options.onPod?.(pod);
    this.#options.sink.update(pod);
  }

  #gone(pod: Pod): void {
    if (isMirrorPod(pod)) return;
    const uid = pod.metadata?.uid ?? "";
    const namespace = pod.metadata?.namespace ?? "default";
    this.#options.configMaps?.setReferences(uid, namespace, []);
    this.#options.secrets?.setReferences(uid, namespace, []);
    this.#options.onPodGone?.(pod);
    this.#options.sink.forget(uid);
  }
}
