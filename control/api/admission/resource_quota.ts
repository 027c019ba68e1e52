/**
 * The ResourceQuota admission plugin, as kube-apiserver's (`resourcequota`, v1.33): a create
 * (or a growing update of a Service, a PersistentVolumeClaim or a pod `resize`) in a namespace
 * with quotas is checked against every quota that matches it — its enforced limits
 * (`status.hard`, which the quota controller copies from the spec), its scopes, the rule that a
 * quota on cpu or memory makes every container name them — and refused with upstream's 403
 * texts (`exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`,
 * `failed quota: q: must specify limits.cpu for: web`, `status unknown for quota: q, resources:
 * pods`). Dry runs are checked but not charged.
 *
 * **Charging.** As upstream, the usage is charged *before* the object is written: the new
 * `status.used` of each quota the write changes is stored with a write guarded by the quota's
 * resourceVersion, retried (three times, as upstream) with the quota read again when the guard
 * fails. Checks and charges of one namespace run one at a time in this process, and the plugin
 * keeps the quotas it wrote until the view has them, so two creates racing for the last unit
 * never both pass; the guard keeps other writers (the controller, users) from being
 * overwritten.
 *
 * **A write that fails after the charge.** Upstream leaves the charge and lets the quota
 * controller repair it on its next full recalculation. Here, when the write does not happen
 * (`committed(attrs, false)`) and this plugin charged it, the same amounts are released at once
 * with a guarded write (never below zero), and the controller is told to recalculate. So that
 * the controller never recalculates from views that do not show a charged write yet (which
 * would drop the charge and let a racing create overshoot), every charge holds its namespace
 * until it is released or the views have the written object ({@linkcode
 * ResourceQuotaAdmission.unsettled}).
 *
 * Quotas come from the shared ResourceQuotas view; storage is read only to retry a guarded
 * write that lost a race.
 *
 * @example Refuse a pod over a pods quota
 * ```ts ignore
 * const quota = new ResourceQuotaAdmission({ views, storage, logger });
 * // a quota with status.hard {pods: "1"} and status.used {pods: "1"} in "apps":
 * await quota.validate(createPodAttrs); // throws 403 `pods "web" is forbidden: exceeded quota: …`
 * ```
 *
 * @module
 */
import { ConflictError } from "../../storage/errors.ts";
import type { Storage } from "../../storage/types.ts";
import { type Clock, systemClock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import { ApiError } from "../errors.ts";
import { decodeStored, encodeForStorage } from "../store/object_codec.ts";
import type { ObjectView } from "../store/object_view.ts";
import type { ObjectViews } from "../store/object_views.ts";
import { storagePrefixOf } from "../store/storage_keys.ts";
import type { ResourceQuota } from "../types/core_v1_policy.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { Quantity } from "../types/quantity.ts";
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.ts";
import { admissionForbidden } from "./_forbidden.ts";
import { checkQuotaRequest, type QuotaCharge } from "./_quota_check.ts";
import { type QuotaEvaluator, quotaEvaluatorFor } from "./_quota_usage.ts";
import { parseResourceList, type ResourceList, resourceListToJson } from "./_resource_list.ts";

/** Where ResourceQuotas are stored. */
export const RESOURCE_QUOTAS_PREFIX = "/registry/resourcequotas/";
/** The name of the by-namespace index the plugin and the quota controller add to views. */
export const QUOTA_NAMESPACE_INDEX = "resource-quota:namespace";
/** Upstream retries a lost guarded write three times. */
const CHARGE_RETRIES = 3;
/** Guarded writes tried when giving a charge back. */
const RELEASE_ATTEMPTS = 8;
const ZERO = new Quantity(0n);

/** The by-namespace index function (one shared function, so views accept it from both users). */
export function quotaNamespaceIndex(obj: KubeObject): readonly string[] {
  return [obj.metadata?.namespace ?? ""];
}

const QUOTAS = { group: "", resource: "resourcequotas" };

/** One quota's part of a charge. */
interface ChargedQuota {
  readonly key: string;
  readonly name: string;
  readonly delta: ResourceList;
}

/** A request's charge, from the first guarded write until it is settled. */
interface ChargeRecord {
  readonly namespace: string;
  /** The storage prefix of the written object's kind. */
  readonly prefix: string;
  readonly attrs: AdmissionAttributes;
  readonly quotas: ChargedQuota[];
  state: "charging" | "written" | "releasing";
  sinceMs: number;
}

/** Options of {@linkcode ResourceQuotaAdmission}. */
export interface ResourceQuotaAdmissionOptions {
  readonly views: ObjectViews;
  /** Where quota usage is charged (guarded writes). */
  readonly storage: Storage;
  readonly logger: Logger;
  /** @default {systemClock} */
  readonly clock?: Clock;
  /**
   * How long a written charge holds its namespace waiting for the views to show the object,
   * at most. @default {10000}
   */
  readonly settleTimeoutMs?: number;
}

/** The ResourceQuota admission plugin. */
export class ResourceQuotaAdmission implements AdmissionPlugin {
  readonly name = "ResourceQuota";
  readonly #o: ResourceQuotaAdmissionOptions;
  readonly #clock: Clock;
  readonly #settleTimeoutMs: number;
  readonly #charges = new WeakMap<AdmissionAttributes, ChargeRecord>();
  readonly #pending = new Map<string, Set<ChargeRecord>>();
  /** Quotas this plugin wrote that the view may not show yet, by namespace and key. */
  readonly #written = new Map<string, Map<string, ResourceQuota>>();
  readonly #locks = new Map<string, Promise<void>>();
  readonly #listeners = new Set<(namespace: string) => void>();
  #view: Promise<ObjectView> | null = null;

  constructor(options: ResourceQuotaAdmissionOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#settleTimeoutMs = options.settleTimeoutMs ?? 10_000;
  }

  #quotaView(): Promise<ObjectView> {
    this.#view ??= (async () => {
      const view = this.#o.views.get(RESOURCE_QUOTAS_PREFIX);
      view.addIndex(QUOTA_NAMESPACE_INDEX, quotaNamespaceIndex);
      await this.#o.views.started(RESOURCE_QUOTAS_PREFIX);
      return view;
    })();
    this.#view.catch(() => this.#view = null);
    return this.#view;
  }

  /** Runs `fn` after every earlier call for `namespace` has finished. */
  async #serialized<T>(namespace: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(namespace) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => done = r);
    const tail = before.then(() => mine);
    this.#locks.set(namespace, tail);
    try {
      await before;
      return await fn();
    } finally {
      done();
      if (this.#locks.get(namespace) === tail) this.#locks.delete(namespace);
    }
  }

  /** The namespace's quotas, newest known version of each, by name. */
  #quotas(view: ObjectView, namespace: string): ResourceQuota[] {
    const written = this.#written.get(namespace);
    const out: ResourceQuota[] = [];
    const seen = new Set<string>();
    for (const q of view.byIndex(QUOTA_NAMESPACE_INDEX, namespace) as ResourceQuota[]) {
      const key = quotaKey(namespace, q.metadata?.name ?? "");
      seen.add(key);
      const mine = written?.get(key);
      if (mine && revisionOf(mine) > revisionOf(q)) {
        out.push(mine);
      } else {
        written?.delete(key);
        out.push(q);
      }
    }
    // Quotas the view no longer has were deleted.
    for (const key of written?.keys() ?? []) if (!seen.has(key)) written!.delete(key);
    if (written?.size === 0) this.#written.delete(namespace);
    return out.sort((a, b) =>
      (a.metadata?.name ?? "") < (b.metadata?.name ?? "")
        ? -1
        : (a.metadata?.name ?? "") > (b.metadata?.name ?? "")
        ? 1
        : 0
    );
  }

  #remember(namespace: string, q: ResourceQuota): void {
    let m = this.#written.get(namespace);
    if (!m) this.#written.set(namespace, m = new Map());
    m.set(quotaKey(namespace, q.metadata?.name ?? ""), q);
  }

  /** Reads quotas from storage after a lost guarded write (the rare path). */
  async #reload(namespace: string, names: readonly string[]): Promise<ResourceQuota[]> {
    const out: ResourceQuota[] = [];
    for (const name of names) {
      const kv = await this.#o.storage.get(quotaKey(namespace, name));
      if (!kv) continue;
      const q = decodeStored(kv.value, kv.modRevision) as ResourceQuota;
      this.#remember(namespace, q);
      out.push(q);
    }
    return out;
  }

  /** Stores `used` as the quota's usage, guarded by the version `q` was read at. */
  async #writeUsed(q: ResourceQuota, used: ResourceList): Promise<ResourceQuota> {
    const namespace = q.metadata?.namespace ?? "";
    const next = structuredClone(q) as ResourceQuota;
    next.status = { ...next.status, used: resourceListToJson(used) };
    const kv = await this.#o.storage.update(
      quotaKey(namespace, q.metadata?.name ?? ""),
      encodeForStorage(next),
      revisionOf(q),
    );
    next.metadata!.resourceVersion = String(kv.modRevision);
    this.#remember(namespace, next);
    return next;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== "CREATE" && a.operation !== "UPDATE") return;
    if (!a.def.namespaced || a.namespace === "" || !a.object) return;
    const isPodResize = a.def.group === "" && a.def.resource === "pods" &&
      a.subresource === "resize";
    if (a.subresource !== "" && !isPodResize) return;
    const evaluator = quotaEvaluatorFor(a.def.group, a.def.resource);
    if (!evaluator || !evaluator.handles(a.operation, a.subresource)) return;
    const view = await this.#quotaView();
    if (view.byIndex(QUOTA_NAMESPACE_INDEX, a.namespace).length === 0) return;
    await this.#serialized(a.namespace, () => this.#check(a, { view, evaluator }));
  }

  async #check(
    a: AdmissionAttributes,
    ctx: { readonly view: ObjectView; readonly evaluator: QuotaEvaluator },
  ): Promise<void> {
    this.#prune(a.namespace);
    let quotas = this.#quotas(ctx.view, a.namespace);
    const record: ChargeRecord = {
      namespace: a.namespace,
      prefix: storagePrefixOf(a.def),
      attrs: a,
      quotas: [],
      state: "charging",
      sinceMs: this.#clock.now(),
    };
    for (let retriesLeft = CHARGE_RETRIES;; retriesLeft--) {
      const decision = checkQuotaRequest(quotas, {
        operation: a.operation,
        subresource: a.subresource,
        object: a.object!,
        oldObject: a.oldObject,
        evaluator: ctx.evaluator,
        nowMs: this.#clock.now(),
      });
      if (!decision.allowed) {
        this.#track(record);
        throw admissionForbidden(a, decision.reason);
      }
      if (a.dryRun || decision.charges.length === 0) break;
      const lost = await this.#charge(record, { quotas, charges: decision.charges });
      if (lost.length === 0) break;
      if (retriesLeft <= 0) {
        this.#track(record);
        throw ApiError.modified(QUOTAS, lost[0]!);
      }
      quotas = await this.#reload(a.namespace, lost);
      if (quotas.length === 0) break;
    }
    this.#track(record);
  }

  /** Writes each charge; returns the names of the quotas whose guarded write lost. */
  async #charge(
    record: ChargeRecord,
    options: {
      readonly quotas: readonly ResourceQuota[];
      readonly charges: readonly QuotaCharge[];
    },
  ): Promise<string[]> {
    const lost: string[] = [];
    for (const c of options.charges) {
      const q = options.quotas.find((x) => x.metadata?.name === c.name)!;
      try {
        await this.#writeUsed(q, c.used);
        record.quotas.push({
          key: quotaKey(record.namespace, c.name),
          name: c.name,
          delta: c.delta,
        });
      } catch (err) {
        if (!(err instanceof ConflictError)) {
          this.#track(record);
          throw ApiError.internal(err);
        }
        lost.push(c.name);
      }
    }
    return lost;
  }

  /** Keeps `record` until settled if it charged anything. */
  #track(record: ChargeRecord): void {
    if (record.quotas.length === 0 || this.#charges.has(record.attrs)) return;
    this.#charges.set(record.attrs, record);
    let set = this.#pending.get(record.namespace);
    if (!set) this.#pending.set(record.namespace, set = new Set());
    set.add(record);
  }

  #untrack(record: ChargeRecord): void {
    const set = this.#pending.get(record.namespace);
    set?.delete(record);
    if (set?.size === 0) this.#pending.delete(record.namespace);
  }

  /** Drops written charges older than the settle timeout. */
  #prune(namespace: string): void {
    const now = this.#clock.now();
    for (const r of this.#pending.get(namespace) ?? []) {
      if (r.state === "written" && now - r.sinceMs > this.#settleTimeoutMs) this.#untrack(r);
    }
  }

  committed(a: AdmissionAttributes, ok: boolean): void {
    const record = this.#charges.get(a);
    if (!record) return;
    this.#charges.delete(a);
    if (ok) {
      record.state = "written";
      record.sinceMs = this.#clock.now();
      // Nobody waits for the views to catch up: nothing to hold.
      if (this.#listeners.size === 0) this.#untrack(record);
      this.#notify(record.namespace);
      return;
    }
    record.state = "releasing";
    this.#serialized(record.namespace, () => this.#release(record))
      .catch((err) => {
        this.#o.logger.warn("Cannot release quota usage of a write that failed", {
          namespace: record.namespace,
          error: err,
        });
      })
      .finally(() => {
        this.#untrack(record);
        this.#notify(record.namespace);
      });
  }

  /** Gives back what `record` charged, with guarded writes. */
  async #release(record: ChargeRecord): Promise<void> {
    const view = await this.#quotaView();
    for (const c of record.quotas) {
      let q: ResourceQuota | undefined = this.#quotas(view, record.namespace)
        .find((x) => x.metadata?.name === c.name);
      for (let attempt = 0; q && attempt < RELEASE_ATTEMPTS; attempt++) {
        const used = parseResourceList(q.status?.used);
        for (const [name, amount] of c.delta) {
          const have = used.get(name);
          if (have === undefined) continue;
          const left = have.sub(amount);
          used.set(name, left.sign() < 0 ? ZERO : left);
        }
        try {
          await this.#writeUsed(q, used);
          break;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          q = (await this.#reload(record.namespace, [c.name]))[0];
        }
      }
    }
  }

  /**
   * Whether a charge in `namespace` is not settled: being written or given back, or written
   * but not yet shown by the views (`seen(prefix, revision)` tells; charges older than the
   * settle timeout count as seen). The quota controller recalculates a namespace only when
   * this is false, so it never drops a charge.
   */
  unsettled(namespace: string, seen: (prefix: string, revision: number) => boolean): boolean {
    const set = this.#pending.get(namespace);
    if (!set) return false;
    const now = this.#clock.now();
    for (const r of set) {
      if (r.state !== "written") continue;
      const rev = Number(r.attrs.object?.metadata?.resourceVersion ?? 0);
      if (now - r.sinceMs > this.#settleTimeoutMs || seen(r.prefix, rev)) this.#untrack(r);
    }
    return (this.#pending.get(namespace)?.size ?? 0) > 0;
  }

  /** Calls `fn` with the namespace whenever a charge there is written or given back. */
  onSettle(fn: (namespace: string) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #notify(namespace: string): void {
    for (const l of this.#listeners) {
      try {
        l(namespace);
      } catch (err) {
        this.#o.logger.error("Quota settle listener failed", { error: err });
      }
    }
  }
}

function quotaKey(namespace: string, name: string): string {
  return `${RESOURCE_QUOTAS_PREFIX}${namespace}/${name}`;
}

function revisionOf(obj: KubeObject): number {
  return Number(obj.metadata?.resourceVersion ?? 0);
}
