/**
 * The per-namespace objects pods depend on, kept as two of kube-controller-manager's loops
 * keep them, run inside the API server because the ServiceAccount admission plugin needs them
 * before any controller runs:
 * - the ServiceAccount `default` in every active namespace, recreated when deleted (upstream
 *   `serviceaccounts-controller`);
 * - the ConfigMap `kube-root-ca.crt` with `ca.crt` = the cluster CA in every active namespace,
 *   recreated when deleted and restored when its data or its `kubernetes.io/description`
 *   annotation is edited (upstream `root-ca-cert-publisher`).
 *
 * Event-driven and level-triggered: changes in the shared Namespace, ServiceAccount and
 * ConfigMap views enqueue the namespace; a sync re-reads the views and writes what is missing
 * through the API (validation, admission, watch) as the server itself. Namespaces being deleted
 * are skipped; a write that lost a race (AlreadyExists, Conflict, a namespace just gone or
 * terminating) is not an error, since the change that won enqueues the namespace again.
 * Failed syncs are retried with a doubling delay (0.5 s to 30 s). Nothing polls.
 *
 * @example Keep the objects of every namespace
 * ```ts ignore
 * const keeper = new ServiceAccountKeeper({ views, logger, clock, rootCaPem: pki.ca.certPem });
 * await keeper.start(server.client, signal); // the first pass over every namespace is done
 * ```
 *
 * @module
 */
import type { Clock, TimerHandle } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import {
  DEFAULT_SERVICE_ACCOUNT_NAME,
  ROOT_CA_CONFIG_MAP_NAME,
} from "./admission/service_account.ts";
import type { InProcessClient } from "./in_process_client.ts";
import type { ObjectView, ViewChange } from "./store/object_view.ts";
import type { ObjectViews } from "./store/object_views.ts";
import type { ConfigMap } from "./types/core_v1_config.ts";
import type { KubeObject } from "./types/meta_v1.ts";

/** The annotation describing what `kube-root-ca.crt` is for. */
export const DESCRIPTION_ANNOTATION = "kubernetes.io/description";
/** Upstream's text of that annotation. */
export const ROOT_CA_DESCRIPTION =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. " +
  "No other usage is guaranteed across distributions of Kubernetes clusters.";

const NAMESPACES = "/registry/namespaces/";
const SERVICE_ACCOUNTS = "/registry/serviceaccounts/";
const CONFIG_MAPS = "/registry/configmaps/";
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/** Options of {@linkcode ServiceAccountKeeper}. */
export interface ServiceAccountKeeperOptions {
  readonly views: ObjectViews;
  readonly logger: Logger;
  /** Times retries. */
  readonly clock: Clock;
  /** The cluster CA certificate (PEM), published as `ca.crt`. */
  readonly rootCaPem: string;
  /** The ServiceAccounts every namespace gets. @default {["default"]} */
  readonly serviceAccounts?: readonly string[];
}

/** Whether a namespace is active (not being deleted). */
export function isActiveNamespace(ns: KubeObject): boolean {
  const phase = (ns.status as { phase?: string } | undefined)?.phase ?? "Active";
  return !ns.metadata?.deletionTimestamp && phase === "Active";
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A write that lost to a namespace being deleted: 404, or 403 with a NamespaceTerminating cause. */
function namespaceGone(res: Answer): boolean {
  if (res.status === 404) return true;
  if (res.status !== 403) return false;
  const causes = (res.body.details as { causes?: { reason?: string }[] } | undefined)?.causes;
  return (causes ?? []).some((c) => c.reason === "NamespaceTerminating");
}

function failure(what: string, res: Answer): Error {
  return new Error(`Cannot ${what}: ${res.status} ${String(res.body.message ?? "")}`);
}

/** Keeps the default ServiceAccount and the root CA ConfigMap in every namespace. */
export class ServiceAccountKeeper {
  readonly #o: ServiceAccountKeeperOptions;
  readonly #accounts: readonly string[];
  #rootCa: string;
  #client: InProcessClient | null = null;
  #signal: AbortSignal | null = null;
  #views: { ns: ObjectView; sa: ObjectView; cm: ObjectView } | null = null;
  readonly #queue = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #retries = new Map<string, TimerHandle>();
  #draining: Promise<void> | null = null;

  constructor(options: ServiceAccountKeeperOptions) {
    this.#o = options;
    this.#accounts = options.serviceAccounts ?? [DEFAULT_SERVICE_ACCOUNT_NAME];
    this.#rootCa = options.rootCaPem;
  }

  /**
   * Starts following the views and writing through `client` until `signal` aborts; resolves
   * once every namespace has been synced once (failures are retried in the background).
   */
  async start(client: InProcessClient, signal: AbortSignal): Promise<void> {
    if (this.#client) throw new Error("Cannot start the ServiceAccount keeper: it is running");
    const [ns, sa, cm] = await Promise.all([
      this.#o.views.started(NAMESPACES),
      this.#o.views.started(SERVICE_ACCOUNTS),
      this.#o.views.started(CONFIG_MAPS),
    ]);
    this.#client = client;
    this.#signal = signal;
    this.#views = { ns, sa, cm };
    this.#o.logger.info("Starting ServiceAccount keeper", { serviceAccounts: this.#accounts });
    const offs = [
      ns.onChange((c) => {
        if (c.type !== "deleted") this.#enqueue(c.object.metadata?.name ?? "");
      }),
      sa.onChange((c) => this.#onNamespaced(c, (name) => this.#accounts.includes(name))),
      cm.onChange((c) => this.#onNamespaced(c, (name) => name === ROOT_CA_CONFIG_MAP_NAME)),
    ];
    signal.addEventListener("abort", () => {
      for (const off of offs) off();
      for (const t of this.#retries.values()) t.cancel();
      this.#retries.clear();
      this.#queue.clear();
      this.#o.logger.info("Shutting down ServiceAccount keeper", {});
    }, { once: true });
    for (const obj of ns.list()) this.#enqueue(obj.metadata?.name ?? "");
    await this.idle();
  }

  /** Publishes another CA certificate (after a CA rotation) to every namespace. */
  setRootCa(pem: string): void {
    if (pem === this.#rootCa) return;
    this.#rootCa = pem;
    for (const obj of this.#views?.ns.list() ?? []) this.#enqueue(obj.metadata?.name ?? "");
  }

  /** Resolves when no namespace is queued or being synced (retries still pending excepted). */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  #onNamespaced(c: ViewChange, watched: (name: string) => boolean): void {
    if (c.type === "added" || !watched(c.object.metadata?.name ?? "")) return;
    this.#enqueue(c.object.metadata?.namespace ?? "");
  }

  #enqueue(namespace: string): void {
    if (!namespace || !this.#client || this.#signal?.aborted) return;
    this.#queue.add(namespace);
    this.#kick();
  }

  #kick(): void {
    if (this.#draining) return;
    this.#draining = (async () => {
      try {
        await this.#drain();
      } finally {
        this.#draining = null;
        // Something queued between the last sync and now.
        if (this.#queue.size > 0 && !this.#signal?.aborted) this.#kick();
      }
    })();
  }

  async #drain(): Promise<void> {
    // Let the events of one write (a namespace and its objects) collapse into one sync.
    await Promise.resolve();
    while (this.#queue.size > 0 && !this.#signal?.aborted) {
      const namespace = this.#queue.values().next().value!;
      this.#queue.delete(namespace);
      try {
        await this.sync(namespace);
        this.#failures.delete(namespace);
      } catch (err) {
        this.#retry(namespace, err);
      }
    }
  }

  #retry(namespace: string, err: unknown): void {
    const n = this.#failures.get(namespace) ?? 0;
    this.#failures.set(namespace, n + 1);
    const delayMs = Math.min(RETRY_MIN_MS * 2 ** n, RETRY_MAX_MS);
    this.#o.logger.warn("Cannot sync namespace objects, retrying", {
      namespace,
      delayMs,
      error: err,
    });
    this.#retries.get(namespace)?.cancel();
    this.#retries.set(
      namespace,
      this.#o.clock.setTimeout(() => {
        this.#retries.delete(namespace);
        this.#enqueue(namespace);
      }, delayMs),
    );
  }

  /** Makes `namespace`'s objects right (level-triggered; throws to be retried). */
  async sync(namespace: string): Promise<void> {
    const views = this.#views;
    const client = this.#client;
    if (!views || !client) throw new Error("Cannot sync namespace objects: not started");
    const ns = views.ns.getByName("", namespace);
    if (!ns || !isActiveNamespace(ns)) return;
    const errors: Error[] = [];
    for (const name of this.#accounts) {
      if (views.sa.getByName(namespace, name)) continue;
      const res = await client.json("POST", `/api/v1/namespaces/${namespace}/serviceaccounts`, {
        body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } },
      });
      if (res.status === 201 || res.status === 409 || namespaceGone(res)) continue;
      errors.push(failure(`create ServiceAccount "${namespace}/${name}"`, res));
    }
    try {
      await this.#syncRootCa(client, { views, namespace });
    } catch (err) {
      errors.push(err as Error);
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(errors, `Cannot sync the objects of namespace "${namespace}"`);
    }
  }

  async #syncRootCa(
    client: InProcessClient,
    options: { views: { cm: ObjectView }; namespace: string },
  ): Promise<void> {
    const { namespace } = options;
    const path = `/api/v1/namespaces/${namespace}/configmaps`;
    const data = { "ca.crt": this.#rootCa };
    const cm = options.views.cm.getByName(namespace, ROOT_CA_CONFIG_MAP_NAME) as
      | ConfigMap
      | undefined;
    if (cm === undefined) {
      const res = await client.json("POST", path, {
        body: {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            name: ROOT_CA_CONFIG_MAP_NAME,
            annotations: { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION },
          },
          data,
        },
      });
      if (res.status === 201 || res.status === 409 || namespaceGone(res)) return;
      throw failure(`create ConfigMap "${namespace}/${ROOT_CA_CONFIG_MAP_NAME}"`, res);
    }
    const current = cm.data ?? {};
    const same = Object.keys(current).length === 1 && current["ca.crt"] === this.#rootCa;
    if (same && cm.metadata?.annotations?.[DESCRIPTION_ANNOTATION]) return;
    // The view's object is frozen: write a copy.
    const next = structuredClone(cm) as ConfigMap;
    next.data = data;
    const meta = next.metadata ??= {};
    (meta.annotations ??= {})[DESCRIPTION_ANNOTATION] = ROOT_CA_DESCRIPTION;
    const res = await client.json("PUT", `${path}/${ROOT_CA_CONFIG_MAP_NAME}`, { body: next });
    // 409: the view was behind; the newer version's event enqueues the namespace again.
    if (res.status === 200 || res.status === 409 || res.status === 404) return;
    throw failure(`update ConfigMap "${namespace}/${ROOT_CA_CONFIG_MAP_NAME}"`, res);
  }
}
