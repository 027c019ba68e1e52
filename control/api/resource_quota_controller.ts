/**
 * The resource quota controller, as kube-controller-manager's (`resourcequota`, v1.33): every
 * ResourceQuota gets `status.hard` = `spec.hard` and `status.used` = what the objects of its
 * namespace use — pods, Services, PersistentVolumeClaims and `count/…` of any served kind,
 * within the quota's scopes, measured as the admission plugin measures a write — so admission
 * can enforce it, and deletions (or pods reaching a terminal phase, or outliving their deletion
 * grace period) give usage back.
 *
 * Event-driven, without polling: the ResourceQuotas view and the views of the kinds quotas
 * count (started when a quota first names them) enqueue the namespace of what changed; a
 * namespace is recalculated at most once per `debounceMs`, from the views, and only quotas
 * whose status changed are written, through the API (`PUT …/resourcequotas/<name>/status`,
 * guarded by resourceVersion). Updates that change nothing quota measures are ignored. A pod
 * whose charge ends with its grace period gets a timer for that moment. While the admission
 * plugin has a charge in the namespace that the views do not show yet, recalculation waits
 * (see {@linkcode ResourceQuotaAdmission.unsettled}), so it never undoes a charge.
 *
 * @example Start it next to the API server
 * ```ts ignore
 * const controller = new ResourceQuotaController({ views, registry: () => registry, logger, admission: quota });
 * await controller.start(apiServer.client, signal);
 * ```
 *
 * @module
 */
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import {
  QUOTA_NAMESPACE_INDEX,
  quotaNamespaceIndex,
  RESOURCE_QUOTAS_PREFIX,
  type ResourceQuotaAdmission,
} from "./admission/resource_quota.ts";
import {
  kindsCounting,
  type QuotaEvaluator,
  quotaEvaluatorFor,
  quotaScopeRequirements,
} from "./admission/_quota_usage.ts";
import {
  addResourceLists,
  maskResourceList,
  parseResourceList,
  type ResourceList,
  resourceListsEqual,
  resourceListToJson,
} from "./admission/_resource_list.ts";
import type { InProcessClient } from "./in_process_client.ts";
import type { ResourceRegistry } from "./registry/resource_registry.ts";
import type { ObjectView, ViewChange } from "./store/object_view.ts";
import type { ObjectViews } from "./store/object_views.ts";
import { storagePrefixOf } from "./store/storage_keys.ts";
import type { ResourceQuota } from "./types/core_v1_policy.ts";
import type { KubeObject } from "./types/meta_v1.ts";
import { Quantity } from "./types/quantity.ts";

/** What the controller writes with (an {@linkcode InProcessClient}). */
export type QuotaStatusClient = Pick<InProcessClient, "json">;

/** Options of {@linkcode ResourceQuotaController}. */
export interface ResourceQuotaControllerOptions {
  readonly views: ObjectViews;
  /** The served kinds (to find what `count/<resource>.<group>` counts). */
  readonly registry: () => ResourceRegistry;
  readonly logger: Logger;
  /** @default {systemClock} */
  readonly clock?: Clock;
  /** The admission plugin whose charges a recalculation waits for. */
  readonly admission?: ResourceQuotaAdmission;
  /** Changes of one namespace within this window are recalculated together. @default {50} */
  readonly debounceMs?: number;
}

/** A counted kind: its view and how it is measured. */
interface Source {
  readonly prefix: string;
  readonly view: ObjectView;
  readonly evaluator: QuotaEvaluator;
}

const ZERO = new Quantity(0n);
/** The longest a failed recalculation waits before it is tried again. */
const MAX_BACKOFF_MS = 30_000;

/** The resource quota controller. */
export class ResourceQuotaController {
  readonly #o: ResourceQuotaControllerOptions;
  readonly #clock: Clock;
  readonly #debounceMs: number;
  readonly #sources = new Map<string, Source>();
  readonly #timers = new Map<string, TimerHandle>();
  readonly #expiry = new Map<string, { at: number; handle: TimerHandle }>();
  readonly #failures = new Map<string, number>();
  readonly #running = new Set<string>();
  readonly #again = new Set<string>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #waiters = new Set<() => void>();
  #client: QuotaStatusClient | null = null;
  #signal: AbortSignal | null = null;
  #quotaView: ObjectView | null = null;

  constructor(options: ResourceQuotaControllerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#debounceMs = options.debounceMs ?? 50;
  }

  /** Starts following the quotas; resolves once their view is listed and every quota queued. */
  async start(client: QuotaStatusClient, signal: AbortSignal): Promise<void> {
    if (this.#client) throw new Error("Cannot start the resource quota controller twice");
    this.#client = client;
    this.#signal = signal;
    this.#o.logger.info("Starting resource quota controller");
    const view = this.#o.views.get(RESOURCE_QUOTAS_PREFIX);
    view.addIndex(QUOTA_NAMESPACE_INDEX, quotaNamespaceIndex);
    this.#unsubscribe.push(view.onChange((c) => this.#onQuota(c)));
    if (this.#o.admission) {
      this.#unsubscribe.push(this.#o.admission.onSettle((ns) => this.#enqueue(ns)));
    }
    signal.addEventListener("abort", () => this.#stop(), { once: true });
    this.#quotaView = view;
    await this.#o.views.started(RESOURCE_QUOTAS_PREFIX);
    for (const q of view.list()) this.#enqueue(q.metadata?.namespace ?? "");
  }

  #stop(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    for (const t of this.#timers.values()) t.cancel();
    for (const e of this.#expiry.values()) e.handle.cancel();
    this.#timers.clear();
    this.#expiry.clear();
    this.#kick();
    this.#o.logger.info("Shutting down resource quota controller");
  }

  /**
   * Resolves once no recalculation is queued or running (tests; with a fake clock, queued work
   * waits for the clock to be advanced).
   */
  async idle(): Promise<void> {
    while (this.#timers.size > 0 || this.#running.size > 0) {
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  #kick(): void {
    for (const w of this.#waiters) w();
    this.#waiters.clear();
  }

  #onQuota(c: ViewChange): void {
    const ns = c.object.metadata?.namespace ?? "";
    if (c.type === "updated" && c.old) {
      // Usage written by admission or by this controller needs nothing; a new spec does.
      const q = c.object as ResourceQuota;
      const specSame = JSON.stringify(q.spec) === JSON.stringify((c.old as ResourceQuota).spec);
      const hard = q.status?.hard;
      if (specSame && hard && q.status?.used && hardMatchesSpec(q)) return;
    }
    this.#enqueue(ns);
  }

  #onObject(source: Source, c: ViewChange): void {
    const ns = c.object.metadata?.namespace ?? "";
    if (!this.#quotaView || this.#quotaView.byIndex(QUOTA_NAMESPACE_INDEX, ns).length === 0) {
      return;
    }
    if (c.type === "updated" && c.old) {
      const e = source.evaluator;
      const now = this.#clock.now();
      if (
        e.scopeKey(c.old) === e.scopeKey(c.object) &&
        e.chargeEndsAt(c.old) === e.chargeEndsAt(c.object) &&
        resourceListsEqual(e.usage(c.old, now), e.usage(c.object, now))
      ) return;
    }
    this.#enqueue(ns);
  }

  #enqueue(namespace: string, delayMs = this.#debounceMs): void {
    if (!this.#signal || this.#signal.aborted || this.#timers.has(namespace)) return;
    this.#timers.set(
      namespace,
      this.#clock.setTimeout(() => {
        this.#timers.delete(namespace);
        void this.#run(namespace);
      }, delayMs),
    );
  }

  async #run(namespace: string): Promise<void> {
    if (this.#running.has(namespace)) {
      this.#again.add(namespace);
      return;
    }
    this.#running.add(namespace);
    try {
      await this.sync(namespace);
      this.#failures.delete(namespace);
    } catch (err) {
      const n = (this.#failures.get(namespace) ?? 0) + 1;
      this.#failures.set(namespace, n);
      this.#o.logger.warn("Cannot sync resource quotas, retrying", {
        namespace,
        attempt: n,
        error: err,
      });
      this.#enqueue(namespace, Math.min(Math.max(this.#debounceMs, 10) * 2 ** n, MAX_BACKOFF_MS));
    } finally {
      this.#running.delete(namespace);
      if (this.#again.delete(namespace)) this.#enqueue(namespace);
      this.#kick();
    }
  }

  /** The sources of `kinds`, their views started. */
  async #sourcesFor(kinds: readonly { group: string; resource: string }[]): Promise<Source[]> {
    const out: Source[] = [];
    for (const { group, resource } of kinds) {
      const id = `${group}/${resource}`;
      let source = this.#sources.get(id);
      if (!source) {
        const def = this.#o.registry().all().find((d) =>
          d.group === group && d.resource === resource && !d.ephemeral
        );
        const evaluator = quotaEvaluatorFor(group, resource);
        if (!def || !evaluator) continue;
        const prefix = storagePrefixOf(def);
        const view = this.#o.views.get(prefix);
        view.addIndex(QUOTA_NAMESPACE_INDEX, quotaNamespaceIndex);
        const s: Source = { prefix, view, evaluator };
        this.#unsubscribe.push(view.onChange((c) => this.#onObject(s, c)));
        this.#sources.set(id, source = s);
      }
      await this.#o.views.started(source.prefix);
      out.push(source);
    }
    return out;
  }

  /**
   * Recalculates every quota of `namespace` from the views and writes the statuses that
   * changed (level-triggered: it reads everything again). Throws to be retried.
   */
  async sync(namespace: string): Promise<void> {
    const quotaView = this.#quotaView;
    const client = this.#client;
    if (!quotaView || !client) throw new Error("Cannot sync resource quotas before start");
    const quotas = quotaView.byIndex(QUOTA_NAMESPACE_INDEX, namespace) as ResourceQuota[];
    if (quotas.length === 0) return;
    const kinds = kindsCounting(quotas.flatMap((q) => Object.keys(q.spec?.hard ?? {})));
    const sources = await this.#sourcesFor(kinds);
    const seen = (prefix: string, revision: number) =>
      this.#o.views.get(prefix).revision >= revision;
    // A charge the views do not show yet would be undone: wait (its settling enqueues again).
    if (this.#o.admission?.unsettled(namespace, seen)) return;
    const now = this.#clock.now();
    let nextEnd = Infinity;
    for (const q of quotas) {
      const hard = parseResourceList(q.spec?.hard);
      const hardNames = [...hard.keys()];
      const scopes = quotaScopeRequirements(q);
      const matched = new Set<string>();
      let observed: ResourceList = new Map();
      for (const s of sources) {
        const names = s.evaluator.matchingResources(hardNames);
        if (names.length === 0) continue;
        for (const n of names) matched.add(n);
        let sum: ResourceList = new Map(names.map((n) => [n, ZERO]));
        for (const obj of s.view.byIndex(QUOTA_NAMESPACE_INDEX, namespace)) {
          if (!scopes.every((r) => s.evaluator.matchesScope(r, obj))) continue;
          sum = addResourceLists(sum, s.evaluator.usage(obj, now));
          const end = s.evaluator.chargeEndsAt(obj);
          if (end !== null && end >= now) nextEnd = Math.min(nextEnd, end);
        }
        observed = addResourceLists(observed, sum);
      }
      // Usage of names nothing measures keeps its last value, as upstream.
      const used = parseResourceList(q.status?.used);
      for (const [n, v] of maskResourceList(observed, matched)) used.set(n, v);
      const newUsed = maskResourceList(used, hardNames);
      const dirty = !q.status?.hard || !q.status.used || !hardMatchesSpec(q) ||
        !resourceListsEqual(newUsed, parseResourceList(q.status.used));
      if (dirty) await this.#write(client, { quota: q, hard, used: newUsed });
    }
    this.#scheduleExpiry(namespace, { at: nextEnd, now });
  }

  /** Wakes the namespace when the earliest pod charge ends on its own. */
  #scheduleExpiry(namespace: string, t: { readonly at: number; readonly now: number }): void {
    const current = this.#expiry.get(namespace);
    if (current && current.at === t.at) return;
    current?.handle.cancel();
    this.#expiry.delete(namespace);
    if (!Number.isFinite(t.at) || this.#signal?.aborted) return;
    const handle = this.#clock.setTimeout(() => {
      this.#expiry.delete(namespace);
      this.#enqueue(namespace, 0);
    }, t.at - t.now + 1);
    this.#expiry.set(namespace, { at: t.at, handle });
  }

  async #write(
    client: QuotaStatusClient,
    w: { readonly quota: ResourceQuota; readonly hard: ResourceList; readonly used: ResourceList },
  ): Promise<void> {
    const meta = w.quota.metadata ?? {};
    const body = structuredClone(w.quota) as KubeObject & ResourceQuota;
    body.status = { hard: resourceListToJson(w.hard), used: resourceListToJson(w.used) };
    const path = `/api/v1/namespaces/${encodeURIComponent(meta.namespace ?? "")}/resourcequotas/${
      encodeURIComponent(meta.name ?? "")
    }/status`;
    const res = await client.json("PUT", path, { body });
    if (res.status === 200 || res.status === 201 || res.status === 404) return;
    throw new Error(
      `Cannot update the status of ResourceQuota "${meta.namespace}/${meta.name}": ${res.status} ${
        String(res.body.message ?? "")
      }`,
    );
  }
}

function hardMatchesSpec(q: ResourceQuota): boolean {
  return resourceListsEqual(parseResourceList(q.spec?.hard), parseResourceList(q.status?.hard));
}
