/**
 * Mirror pods: for every static pod the API holds a read-only copy (a mirror pod), so that
 * `kubectl get pods` shows it, as the kubelet's mirror client and `syncPod` keep them (v1.33):
 *
 * - the mirror pod is the static pod (same name, namespace, labels, annotations, spec) with
 *   the annotation `kubernetes.io/config.mirror` = the static pod's `kubernetes.io/config.hash`
 *   and one owner reference to this node's Node (`apiVersion: v1`, `kind: Node`, its name and
 *   UID, `controller: true`, no `blockOwnerDeletion`, which NodeRestriction refuses); no
 *   status, no UID (the API gives it its own);
 * - no mirror pod is created while the Node cannot be read or is being deleted;
 * - a mirror pod that is deleted is created again; one whose `config.mirror` no longer matches
 *   the static pod's hash, or that is being deleted, is deleted (grace period 0, preconditioned
 *   on its UID) and created anew; a mirror pod whose static pod is gone is deleted (once the
 *   injected `isTerminating` says the static pod's containers are stopped);
 * - a regular pod that has the name a static pod's mirror would have is left alone (logged).
 *
 * It is a level-triggered controller: the static pods come from
 * {@linkcode MirrorPods.setStaticPods} (a {@linkcode StaticPodSource}'s updates), the mirror
 * pods from an informer on the pods bound to the node (`fieldSelector=spec.nodeName=<node>`),
 * which the caller shares with its pod source and runs. A node credential may do all of it:
 * NodeRestriction lets a node create mirror pods bound to itself and owned by its Node, and
 * delete pods bound to itself.
 *
 * @example Keep mirror pods for a source's static pods
 * ```ts ignore
 * const mirrors = new MirrorPods({ client, nodeName, pods: podInformer, logger });
 * const running = mirrors.run(signal);
 * for await (const update of staticPods.watch(signal)) mirrors.setStaticPods(update.pods);
 * await running;
 * ```
 *
 * @module
 */
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { isMirrorPod, MIRROR_POD_ANNOTATION } from "../../control/api/types/mirror_pod.ts";
import type { Client, ResourceClient } from "../../control/client/client.ts";
import { runController } from "../../control/client/controller.ts";
import { isAlreadyExists, isConflict, isNotFound } from "../../control/client/errors.ts";
import type { Informer } from "../../control/client/informer.ts";
import { NODES, PODS } from "../../control/client/resources.ts";
import { WorkQueue } from "../../control/client/workqueue.ts";
import { type Clock, systemClock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { CONFIG_HASH_ANNOTATION } from "./static_pod.ts";

/** Options of {@linkcode MirrorPods}. */
export interface MirrorPodsOptions {
  /** A client with the node's credentials. */
  readonly client: Client;
  readonly nodeName: string;
  /** An informer on the pods bound to the node; the caller runs it. */
  readonly pods: Informer<Pod>;
  readonly logger: Logger;
  /** @default {systemClock} */
  readonly clock?: Clock;
  /**
   * Whether the static pod `namespace/name` that is gone still has containers stopping; its
   * mirror pod is deleted only after. @default {() => false}
   */
  readonly isTerminating?: (fullName: string) => boolean;
}

export { isMirrorPod };

/** The static pod's hash (`kubernetes.io/config.hash`), or its UID. */
export function staticPodHash(pod: Pod): string {
  return pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? pod.metadata?.uid ?? "";
}

/** Whether `mirror` is the mirror pod of `pod`: same name and the hash it carries matches. */
export function isMirrorPodOf(mirror: Pod, pod: Pod): boolean {
  return mirror.metadata?.namespace === pod.metadata?.namespace &&
    mirror.metadata?.name === pod.metadata?.name &&
    mirror.metadata?.annotations?.[MIRROR_POD_ANNOTATION] === staticPodHash(pod);
}

/** The mirror pod the API should hold for static pod `pod` on the Node `node`. */
export function mirrorPodFor(pod: Pod, node: { name: string; uid: string }): Pod {
  const { uid: _uid, resourceVersion: _rv, ownerReferences: _owners, ...meta } = pod.metadata ??
    {};
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...structuredClone(meta),
      annotations: { ...meta.annotations, [MIRROR_POD_ANNOTATION]: staticPodHash(pod) },
      ownerReferences: [{
        apiVersion: "v1",
        kind: "Node",
        name: node.name,
        uid: node.uid,
        controller: true,
      }],
    },
    spec: structuredClone(pod.spec ?? { containers: [] }),
  };
}

function keyOf(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

/** Keeps a mirror pod in the API for every static pod; see the module documentation. */
export class MirrorPods {
  readonly #pods: ResourceClient<Pod>;
  readonly #nodes: ResourceClient<Node>;
  readonly #nodeName: string;
  readonly #informer: Informer<Pod>;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #isTerminating: (fullName: string) => boolean;
  readonly #queue: WorkQueue<string>;
  #static = new Map<string, Pod>();
  #haveStatic = false;
  #staticReady!: () => void;
  readonly #staticSet: Promise<void>;

  constructor(options: MirrorPodsOptions) {
    this.#pods = options.client.resource(PODS);
    this.#nodes = options.client.resource(NODES);
    this.#nodeName = options.nodeName;
    this.#informer = options.pods;
    this.#logger = options.logger.with({ controller: "mirror-pods" });
    this.#clock = options.clock ?? systemClock;
    this.#isTerminating = options.isTerminating ?? (() => false);
    this.#queue = new WorkQueue<string>({ clock: this.#clock });
    this.#staticSet = new Promise((resolve) => (this.#staticReady = resolve));
    this.#informer.addHandler({
      add: (pod) => this.#observe(pod),
      update: (old, pod) => {
        if (old !== pod) this.#observe(pod);
      },
      delete: (pod) => this.#observe(pod),
    });
  }

  /** Tells which static pods there are now (all of them). */
  setStaticPods(pods: readonly Pod[]): void {
    const next = new Map(pods.map((p) => [keyOf(p), p]));
    for (const [key, pod] of next) {
      if (this.#static.get(key) !== pod) this.#queue.add(key);
    }
    for (const key of this.#static.keys()) if (!next.has(key)) this.#queue.add(key);
    this.#static = next;
    if (!this.#haveStatic) {
      this.#haveStatic = true;
      this.#staticReady();
    }
  }

  /** Checks the mirror pod of the static pod `namespace/name` again (its containers stopped). */
  resync(fullName: string): void {
    this.#queue.add(fullName);
  }

  /** The mirror pod the informer holds for static pod `pod`, if it is current. */
  mirrorPodOf(pod: Pod): Pod | undefined {
    const found = this.#informer.store.get(keyOf(pod));
    return found && isMirrorPod(found) && isMirrorPodOf(found, pod) ? found : undefined;
  }

  /**
   * Syncs until `signal` aborts, starting once the informer has synced and the static pods
   * were set once (so that no mirror pod is taken for an orphan before the manifests are read).
   */
  async run(signal: AbortSignal): Promise<void> {
    await runController({
      name: "mirror-pods",
      queue: this.#queue,
      sync: (key) => this.sync(key),
      waitFor: [this.#informer, {
        waitForSync: (s) =>
          Promise.race([
            this.#staticSet.then(() => true),
            new Promise<boolean>((resolve) => {
              if (s.aborted) resolve(false);
              s.addEventListener("abort", () => resolve(false), { once: true });
            }),
          ]),
      }],
      signal,
      logger: this.#logger,
      clock: this.#clock,
    });
  }

  /** Converges the mirror pod of the static pod `namespace/name`. */
  async sync(key: string): Promise<void> {
    const desired = this.#static.get(key);
    const observed = this.#informer.store.get(key);
    const mirror = observed && isMirrorPod(observed) ? observed : undefined;
    if (observed && !mirror) {
      if (desired) {
        this.#logger.warn("A pod from the API has the name of a static pod's mirror pod", {
          pod: key,
          uid: observed.metadata?.uid,
        });
      }
      return;
    }
    if (!desired) {
      if (!mirror) return;
      if (this.#isTerminating(key)) {
        this.#logger.debug("Mirror pod kept while its static pod terminates", { pod: key });
        return;
      }
      this.#logger.info("Deleting orphaned mirror pod", { pod: key });
      await this.#delete(mirror);
      return;
    }
    if (mirror) {
      if (!mirror.metadata?.deletionTimestamp && isMirrorPodOf(mirror, desired)) return;
      this.#logger.info("Deleting mirror pod that does not match its static pod", {
        pod: key,
        mirrorHash: mirror.metadata?.annotations?.[MIRROR_POD_ANNOTATION],
        hash: staticPodHash(desired),
      });
      await this.#delete(mirror);
    }
    await this.#create(desired);
  }

  async #delete(mirror: Pod): Promise<void> {
    try {
      await this.#pods.delete(mirror.metadata?.name ?? "", {
        namespace: mirror.metadata?.namespace ?? "",
        gracePeriodSeconds: 0,
        ...(mirror.metadata?.uid ? { preconditions: { uid: mirror.metadata.uid } } : {}),
      });
    } catch (err) {
      // Gone already, or replaced by another (the informer will tell).
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  async #create(pod: Pod): Promise<void> {
    let node: Node;
    try {
      node = await this.#nodes.get(this.#nodeName);
    } catch (err) {
      throw new Error(
        `Cannot create mirror pod "${keyOf(pod)}": cannot read node "${this.#nodeName}"`,
        { cause: err },
      );
    }
    if (node.metadata?.deletionTimestamp) {
      this.#logger.info("No mirror pod: the node is being deleted", { pod: keyOf(pod) });
      return;
    }
    const nodeUid = node.metadata?.uid ?? "";
    if (!nodeUid) {
      throw new Error(`Cannot create mirror pod "${keyOf(pod)}": UID unset for current node`);
    }
    const mirror = mirrorPodFor(pod, { name: this.#nodeName, uid: nodeUid });
    try {
      await this.#pods.create(mirror);
      this.#logger.info("Created mirror pod", { pod: keyOf(pod), hash: staticPodHash(pod) });
    } catch (err) {
      if (!isAlreadyExists(err)) {
        throw new Error(`Cannot create mirror pod "${keyOf(pod)}"`, { cause: err });
      }
      const existing = await this.#pods.get(pod.metadata?.name ?? "", {
        namespace: pod.metadata?.namespace ?? "",
      });
      if (isMirrorPod(existing) && isMirrorPodOf(existing, pod)) return;
      // An old mirror pod still being removed: try again once it is gone.
      throw new Error(`Cannot create mirror pod "${keyOf(pod)}": another pod has its name`, {
        cause: err,
      });
    }
  }

  #observe(pod: Pod): void {
    const key = keyOf(pod);
    if (isMirrorPod(pod) || this.#static.has(key)) this.#queue.add(key);
  }
}
