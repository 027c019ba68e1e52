/**
 * Deletes everything in a Terminating namespace, then removes the `kubernetes` finalizer
 * (upstream `pkg/controller/namespace/deletion`): discover every namespaced resource that can
 * be deleted, delete each collection (or list and delete one by one where `deletecollection`
 * is not served), check what is left, report conditions, and finalize once nothing is.
 *
 * @module
 */
import type { Namespace } from "../api/types/core_v1_namespace.ts";
import { FINALIZER_KUBERNETES } from "../api/types/core_v1_namespace.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { Client } from "../client/client.ts";
import { isConflict, isNotFound, StatusError } from "../client/errors.ts";
import { apiResource, NAMESPACES, PODS } from "../client/resources.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import {
  discoverPreferredNamespacedResources,
  filterByVerbs,
  formatGroupVersionResource,
  type GroupVersionResource,
  groupVersionResources,
} from "./_api_discovery.ts";
import { type ContentTotals, NamespaceConditionUpdater } from "./_namespace_conditions.ts";
import { parseTime, rfc3339 } from "./_rfc3339.ts";

/** What a {@linkcode NamespacedResourcesDeleter} works with. */
export interface NamespacedResourcesDeleterDeps {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long to expect objects held by finalizers to take (upstream: 15 s). */
  readonly finalizerEstimateSeconds: number;
}

/** What one resource's deletion left. */
interface ResourceDeletion {
  /** Seconds to wait before looking again; 0: no estimate (not: nothing left). */
  readonly estimateSeconds: number;
  readonly remaining: number;
  readonly remainingByFinalizer: ReadonlyMap<string, number>;
  readonly error?: Error;
}

type Deletable = GroupVersionResource & { readonly verbs: readonly string[] };

const BACKGROUND = { propagationPolicy: "Background" } as const;

function isUnsupported(err: unknown): boolean {
  return isNotFound(err) ||
    (err instanceof StatusError && (err.code === 405 || err.reason === "MethodNotAllowed"));
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Deletes the content of namespaces and finalizes them; one instance per controller. */
export class NamespacedResourcesDeleter {
  readonly #deps: NamespacedResourcesDeleterDeps;
  /** `deletecollection apps/v1/deployments`: operations the server refused as unsupported. */
  readonly #unsupported = new Set<string>();

  constructor(deps: NamespacedResourcesDeleterDeps) {
    this.#deps = deps;
  }

  /**
   * One pass over the namespace `name`. Answers 0 when done (or nothing to do), else an
   * estimate in seconds of how long the remaining content takes to go; throws when something
   * failed (retry with backoff).
   */
  async delete(name: string, signal?: AbortSignal): Promise<number> {
    const namespaces = this.#deps.client.resource(NAMESPACES);
    let ns: Namespace;
    try {
      ns = await namespaces.get(name, signal ? { signal } : {});
    } catch (err) {
      if (isNotFound(err)) return 0;
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp) return 0;
    try {
      ns = await this.#retryOnConflict(ns, { signal, fn: (n) => this.#markTerminating(n, signal) });
    } catch (err) {
      if (isNotFound(err)) return 0;
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp) return 0;
    if ((ns.spec?.finalizers ?? []).length === 0) return 0;

    const { estimateSeconds, namespace } = await this.#deleteAllContent(ns, signal);
    if (estimateSeconds > 0) return estimateSeconds;
    try {
      await this.#retryOnConflict(namespace, { signal, fn: (n) => this.#finalize(n, signal) });
    } catch (err) {
      // Another controller with the same finalizer may have finished first.
      if (isNotFound(err)) return 0;
      throw err;
    }
    this.#deps.logger.info("Finalized namespace", { namespace: name });
    return 0;
  }

  async #retryOnConflict(
    ns: Namespace,
    options: { signal: AbortSignal | undefined; fn: (ns: Namespace) => Promise<Namespace> },
  ): Promise<Namespace> {
    let latest = ns;
    for (;;) {
      try {
        return await options.fn(latest);
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
      const previous = latest;
      latest = await this.#deps.client.resource(NAMESPACES).get(
        previous.metadata!.name!,
        options.signal ? { signal: options.signal } : {},
      );
      if (previous.metadata?.uid !== latest.metadata?.uid) {
        throw new Error("namespace uid has changed across retries");
      }
    }
  }

  async #markTerminating(ns: Namespace, signal: AbortSignal | undefined): Promise<Namespace> {
    if (!ns.metadata?.deletionTimestamp || ns.status?.phase === "Terminating") return ns;
    const next = structuredClone(ns);
    next.status = { ...next.status, phase: "Terminating" };
    return await this.#deps.client.resource(NAMESPACES).updateStatus(
      next,
      signal ? { signal } : {},
    );
  }

  async #finalize(ns: Namespace, signal: AbortSignal | undefined): Promise<Namespace> {
    const finalizers = [...new Set(ns.spec?.finalizers ?? [])]
      .filter((f) => f !== FINALIZER_KUBERNETES)
      .sort();
    const name = ns.metadata!.name!;
    const body: Namespace = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: ns.metadata!,
      spec: { ...ns.spec, finalizers },
    };
    const path = `/api/v1/namespaces/${encodeURIComponent(name)}/finalize`;
    const res = await this.#deps.client.transport.request("PUT", path, {
      body,
      ...(signal ? { signal } : {}),
    });
    const text = await res.text();
    if (res.status === 404) return ns;
    if (res.status < 200 || res.status >= 300) {
      throw StatusError.fromText(res.status, text, { method: "PUT", headers: res.headers });
    }
    return JSON.parse(text) as Namespace;
  }

  async #deleteAllContent(
    ns: Namespace,
    signal: AbortSignal | undefined,
  ): Promise<{ estimateSeconds: number; namespace: Namespace }> {
    const { client, clock, logger } = this.#deps;
    const name = ns.metadata!.name!;
    const deletedAtMs = parseTime(ns.metadata?.deletionTimestamp) ?? clock.now();
    const errors: Error[] = [];
    const updater = new NamespaceConditionUpdater(rfc3339(clock.now()));

    const discovery = await discoverPreferredNamespacedResources(
      client.transport,
      signal ? { signal } : {},
    );
    if (discovery.error) {
      errors.push(discovery.error);
      updater.processDiscoverResourcesErr(discovery.error);
    }
    const parsed = groupVersionResources(filterByVerbs(discovery.lists, ["delete"]));
    if (parsed.error) {
      errors.push(parsed.error);
      updater.processGroupVersionErr(parsed.error);
    }

    let estimateSeconds = 0;
    const remainingByResource = new Map<
      string,
      { resource: string; group: string; count: number }
    >();
    const remainingByFinalizer = new Map<string, number>();
    for (const gvr of parsed.resources) {
      const result = await this.#deleteResource(gvr, { namespace: name, deletedAtMs, signal });
      if (result.error) {
        errors.push(result.error);
        updater.processDeleteContentErr(result.error);
      }
      estimateSeconds = Math.max(estimateSeconds, result.estimateSeconds);
      if (result.remaining > 0) {
        remainingByResource.set(`${gvr.group}/${gvr.resource}`, {
          resource: gvr.resource,
          group: gvr.group,
          count: result.remaining,
        });
        for (const [finalizer, count] of result.remainingByFinalizer) {
          if (count === 0) continue;
          remainingByFinalizer.set(finalizer, (remainingByFinalizer.get(finalizer) ?? 0) + count);
        }
      }
    }
    const totals: ContentTotals = { remainingByResource, remainingByFinalizer };
    updater.processContentTotals(totals);

    // Conditions are written every pass: a failure that went away must be reported as gone.
    let namespace = ns;
    const next = structuredClone(ns);
    next.status ??= {};
    if (updater.update(next.status)) {
      try {
        namespace = await client.resource(NAMESPACES).updateStatus(
          next,
          signal ? { signal } : {},
        );
      } catch (err) {
        if (signal?.aborted) throw err;
        logger.error("Couldn't update status condition for namespace", {
          namespace: name,
          error: err,
        });
      }
    }
    logger.debug("Deleted namespace content", { namespace: name, estimateSeconds, errors });
    if (errors.length === 1) throw errors[0]!;
    if (errors.length > 1) {
      throw new AggregateError(errors, `[${errors.map((e) => e.message).join(", ")}]`);
    }
    return { estimateSeconds, namespace };
  }

  async #deleteResource(
    gvr: Deletable,
    context: { namespace: string; deletedAtMs: number; signal: AbortSignal | undefined },
  ): Promise<ResourceDeletion> {
    const { namespace, signal } = context;
    const none = new Map<string, number>();
    let estimateSeconds: number;
    try {
      estimateSeconds = await this.#estimateGracefulTermination(gvr, context);
    } catch (err) {
      if (signal?.aborted) throw err;
      return { estimateSeconds: 0, remaining: 0, remainingByFinalizer: none, error: asError(err) };
    }
    const client = this.#deps.client.resource(
      apiResource<KubeObject>({ ...gvr, namespaced: true }),
    );
    const failed = (err: unknown): ResourceDeletion => {
      if (signal?.aborted) throw err;
      return { estimateSeconds, remaining: 0, remainingByFinalizer: none, error: asError(err) };
    };
    const base = signal ? { namespace, signal } : { namespace };

    let deletedCollection = false;
    if (this.#supports(gvr, "deletecollection")) {
      try {
        await client.deleteCollection({ ...base, ...BACKGROUND });
        deletedCollection = true;
      } catch (err) {
        if (!isUnsupported(err)) return failed(err);
        this.#unsupported.add(this.#opKey(gvr, "deletecollection"));
      }
    }
    if (!deletedCollection && this.#supports(gvr, "list")) {
      try {
        const items = await this.#list(client, base);
        for (const item of items ?? []) {
          try {
            await client.delete(item.metadata!.name!, { ...base, ...BACKGROUND });
          } catch (err) {
            if (!isUnsupported(err)) throw err;
          }
        }
      } catch (err) {
        return failed(err);
      }
    }

    let items: KubeObject[] | null;
    try {
      items = this.#supports(gvr, "list") ? await this.#list(client, base) : null;
    } catch (err) {
      return failed(err);
    }
    if (items === null) return { estimateSeconds, remaining: 0, remainingByFinalizer: none };
    if (items.length === 0) return { estimateSeconds: 0, remaining: 0, remainingByFinalizer: none };

    const remainingByFinalizer = new Map<string, number>();
    for (const item of items) {
      for (const finalizer of item.metadata?.finalizers ?? []) {
        remainingByFinalizer.set(finalizer, (remainingByFinalizer.get(finalizer) ?? 0) + 1);
      }
    }
    const remaining = items.length;
    if (estimateSeconds !== 0) return { estimateSeconds, remaining, remainingByFinalizer };
    if (remainingByFinalizer.size > 0) {
      return {
        estimateSeconds: this.#deps.finalizerEstimateSeconds,
        remaining,
        remainingByFinalizer,
      };
    }
    return {
      estimateSeconds,
      remaining,
      remainingByFinalizer,
      error: new Error(
        `unexpected items still remain in namespace: ${namespace} for gvr: ${
          formatGroupVersionResource(gvr)
        }`,
      ),
    };
  }

  /** The items of a collection, or `null` when the server does not serve `list` for it. */
  async #list(
    client: ReturnType<Client["resource"]>,
    request: { namespace: string; signal?: AbortSignal },
  ): Promise<KubeObject[] | null> {
    const gvr = client.resource;
    try {
      return (await client.list(request)).items;
    } catch (err) {
      if (!isUnsupported(err)) throw err;
      this.#unsupported.add(this.#opKey(gvr, "list"));
      return null;
    }
  }

  /**
   * Pods wait for their grace period: the longest `terminationGracePeriodSeconds` of the
   * namespace's pods that are not terminal, unless that long has passed since the namespace's
   * deletion. Other resources have no estimate.
   */
  async #estimateGracefulTermination(
    gvr: Deletable,
    context: { namespace: string; deletedAtMs: number; signal: AbortSignal | undefined },
  ): Promise<number> {
    if (gvr.group !== "" || gvr.resource !== "pods") return 0;
    const pods = await this.#deps.client.resource(PODS).list({
      namespace: context.namespace,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    let estimate = 0;
    for (const pod of pods.items as Pod[]) {
      const phase = pod.status?.phase;
      if (phase === "Succeeded" || phase === "Failed") continue;
      const grace = pod.spec?.terminationGracePeriodSeconds;
      if (grace !== undefined && grace > estimate) estimate = grace;
    }
    const elapsedMs = this.#deps.clock.now() - context.deletedAtMs;
    return elapsedMs >= estimate * 1000 ? 0 : estimate;
  }

  #opKey(gvr: { group: string; version: string; resource: string }, op: string): string {
    return `${op} ${gvr.group}/${gvr.version}/${gvr.resource}`;
  }

  #supports(gvr: Deletable, op: "list" | "deletecollection"): boolean {
    return gvr.verbs.includes(op) && !this.#unsupported.has(this.#opKey(gvr, op));
  }
}
