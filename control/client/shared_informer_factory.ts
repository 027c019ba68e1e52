/**
 * One {@linkcode Informer} per resource, namespace and selectors, shared by every component in
 * the process that asks for it (client-go's SharedInformerFactory): ten controllers watching
 * pods cost one list, one watch and one cache. Ask for informers first, then
 * {@linkcode SharedInformerFactory.start} them together and
 * {@linkcode SharedInformerFactory.waitForCacheSync}.
 *
 * @example Share a pod informer
 * ```ts ignore
 * const factory = new SharedInformerFactory(client, { clock, logger });
 * const pods = factory.informerFor(PODS, { indexers: { nodeName: indexByNodeName } });
 * const nodes = factory.informerFor(NODES);
 * factory.start(signal);
 * if (!await factory.waitForCacheSync(signal)) return;
 * ```
 *
 * @module
 */
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { Client } from "./client.ts";
import { Informer, type InformerOptions, type InformerScope } from "./informer.ts";
import type { ApiResource } from "./resources.ts";
import type { IndexFn } from "./store.ts";
import { stripManagedFields } from "./strip_managed_fields.ts";

/**
 * Options of {@linkcode SharedInformerFactory}: the defaults of every informer it makes. The
 * `transform` defaults to {@linkcode stripManagedFields}, as kube-controller-manager's and
 * kube-scheduler's factories do; pass `null` to cache whole objects.
 */
export type SharedInformerFactoryOptions =
  & Omit<
    InformerOptions<KubeObject>,
    "namespace" | "labelSelector" | "fieldSelector" | "indexers" | "transform"
  >
  & { readonly transform?: ((obj: KubeObject) => KubeObject) | null };

/** What {@linkcode SharedInformerFactory.informerFor} takes. */
export interface InformerFor<T extends KubeObject> extends InformerScope {
  /** Indexes to add to the (possibly shared) informer's store, unless it has them by name. */
  readonly indexers?: Readonly<Record<string, IndexFn<T>>>;
}

/** Makes, shares and starts informers. */
export class SharedInformerFactory {
  readonly #client: Client;
  readonly #options: SharedInformerFactoryOptions;
  readonly #informers = new Map<string, Informer<KubeObject>>();
  readonly #running: Promise<void>[] = [];

  constructor(client: Client, options: SharedInformerFactoryOptions) {
    this.#client = client;
    this.#options = options;
  }

  /** The informer for `resource` in `request`'s scope: made on first request, then shared. */
  informerFor<T extends KubeObject>(
    resource: ApiResource<T>,
    request: InformerFor<T> = {},
  ): Informer<T> {
    const key = [
      resource.group,
      resource.version,
      resource.resource,
      request.namespace ?? "",
      request.labelSelector ?? "",
      request.fieldSelector ?? "",
    ].join("\u0000");
    let informer = this.#informers.get(key) as Informer<T> | undefined;
    if (!informer) {
      const { transform = stripManagedFields, ...options } = this.#options;
      informer = new Informer(this.#client.resource(resource), {
        ...options,
        ...(transform ? { transform: transform as unknown as (obj: T) => T } : {}),
        ...(request.namespace ? { namespace: request.namespace } : {}),
        ...(request.labelSelector ? { labelSelector: request.labelSelector } : {}),
        ...(request.fieldSelector ? { fieldSelector: request.fieldSelector } : {}),
      });
      this.#informers.set(key, informer as unknown as Informer<KubeObject>);
    }
    if (request.indexers) {
      const have = new Set(informer.store.indexNames());
      const missing = Object.entries(request.indexers).filter(([name]) => !have.has(name));
      if (missing.length > 0) informer.addIndexers(Object.fromEntries(missing));
    }
    return informer;
  }

  /** Runs every informer not running yet until `signal` aborts (call again after adding more). */
  start(signal: AbortSignal): void {
    for (const informer of this.#informers.values()) {
      if (informer.started) continue;
      this.#running.push(
        informer.run(signal).catch((err) => {
          this.#options.logger.error("Informer stopped with an error", { error: err });
        }),
      );
    }
  }

  /**
   * Resolves `true` once every started informer has synced, `false` if `signal` aborts (or
   * an informer stops) first.
   */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const started = [...this.#informers.values()].filter((i) => i.started);
    const results = await Promise.all(started.map((i) => i.waitForSync(signal)));
    return results.every((synced) => synced);
  }

  /** Waits until every started informer has stopped (abort the start signal first). */
  async shutdown(): Promise<void> {
    await Promise.allSettled(this.#running);
  }
}
