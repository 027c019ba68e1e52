/**
 * A stand-in for the garbage collector's foreground deletion of Jobs, for tests that need a
 * `propagationPolicy: Foreground` delete of a Job to finish (the ttl-after-finished
 * controller's): for each Job with a `deletionTimestamp` and the `foregroundDeletion`
 * finalizer, it deletes the pods whose ownerReferences name the Job, and once none is left,
 * removes the finalizer, which lets the API server delete the Job.
 *
 * @example Let foreground Job deletions complete
 * ```ts ignore
 * await using deleter = await ForegroundJobDeleter.start({ client });
 * ```
 *
 * @module
 */
import type { Job } from "../../control/api/types/batch_v1.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { Client } from "../../control/client/client.ts";
import { runController } from "../../control/client/controller.ts";
import { isNotFound } from "../../control/client/errors.ts";
import { Informer } from "../../control/client/informer.ts";
import { JOBS, PODS } from "../../control/client/resources.ts";
import { metaNamespaceKey, splitMetaNamespaceKey } from "../../control/client/store.ts";
import { WorkQueue } from "../../control/client/workqueue.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";

const FOREGROUND = "foregroundDeletion";

/** Options of {@linkcode ForegroundJobDeleter.start}. */
export interface ForegroundJobDeleterOptions {
  readonly client: Client;
}

/** Finishes foreground deletions of Jobs by deleting their pods first. */
export class ForegroundJobDeleter implements AsyncDisposable {
  readonly #client: Client;
  readonly #jobs: Informer<Job>;
  readonly #pods: Informer<Pod>;
  readonly #queue = new WorkQueue<string>({ clock: systemClock });
  readonly #stop = new AbortController();
  readonly #running: Promise<void>[] = [];

  /** Starts watching Jobs and pods; resolves once both caches are synced. */
  static async start(options: ForegroundJobDeleterOptions): Promise<ForegroundJobDeleter> {
    const deleter = new ForegroundJobDeleter(options);
    const signal = deleter.#stop.signal;
    deleter.#running.push(deleter.#jobs.run(signal), deleter.#pods.run(signal));
    deleter.#running.push(runController({
      name: "foreground-job-deleter",
      queue: deleter.#queue,
      sync: (key) => deleter.#sync(key),
      waitFor: [deleter.#jobs, deleter.#pods],
      signal,
      logger: new RecordingLogger(),
    }));
    await deleter.#jobs.waitForSync(signal);
    await deleter.#pods.waitForSync(signal);
    return deleter;
  }

  constructor(options: ForegroundJobDeleterOptions) {
    this.#client = options.client;
    const common = { clock: systemClock, logger: new RecordingLogger() };
    this.#jobs = new Informer(this.#client.resource(JOBS), common);
    this.#pods = new Informer(this.#client.resource(PODS), common);
    this.#jobs.addHandler({
      add: (job) => this.#queue.add(metaNamespaceKey(job)),
      update: (_old, job) => this.#queue.add(metaNamespaceKey(job)),
    });
    this.#pods.addHandler({ delete: (pod) => this.#onPodGone(pod) });
  }

  #onPodGone(pod: Pod): void {
    for (const ref of pod.metadata?.ownerReferences ?? []) {
      if (ref.kind === "Job") this.#queue.add(`${pod.metadata?.namespace}/${ref.name}`);
    }
  }

  async #sync(key: string): Promise<void> {
    const job = this.#jobs.store.get(key);
    if (!job?.metadata?.deletionTimestamp) return;
    if (!(job.metadata.finalizers ?? []).includes(FOREGROUND)) return;
    const { namespace, name } = splitMetaNamespaceKey(key);
    const uid = job.metadata.uid;
    const dependents = this.#pods.store.byIndex("namespace", namespace).filter((p) =>
      (p.metadata?.ownerReferences ?? []).some((r) => r.uid === uid)
    );
    const pods = this.#client.resource(PODS);
    for (const pod of dependents) {
      if (pod.metadata?.deletionTimestamp) continue;
      try {
        await pods.delete(pod.metadata?.name ?? "", { namespace, propagationPolicy: "Background" });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (dependents.length > 0) return;
    try {
      await this.#client.resource(JOBS).patch(name, {
        namespace,
        type: "strategic",
        body: {
          metadata: { "$deleteFromPrimitiveList/finalizers": [FOREGROUND], uid },
        },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Stops watching and working. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#running);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
