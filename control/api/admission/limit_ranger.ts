/**
 * The LimitRanger admission plugin, as kube-apiserver's: the LimitRanges of a namespace give
 * new pods' containers and init containers their default requests and limits (items of type
 * `Container`: `defaultRequest`, `default`), noted in the pod's `kubernetes.io/limit-ranger`
 * annotation (`LimitRanger plugin set: cpu, memory request for container web; …`); then pods
 * are checked against `min`, `max` and `maxLimitRequestRatio` per container (`Container`) and
 * summed over the pod (`Pod`, with sidecars counted as upstream's resource helpers count them),
 * and PersistentVolumeClaims' storage requests against `min`/`max` (`PersistentVolumeClaim`).
 * A violation is a 403 carrying upstream's messages (`maximum cpu usage per Container is 1, but
 * limit is 2`), several in brackets.
 *
 * Pods are handled on create only (their resources cannot change afterwards), claims on create
 * and update; subresources and objects being deleted are skipped. LimitRanges come from the
 * shared view, indexed by namespace; upstream's live lookup for a namespace its cache shows
 * none in is not needed, the view being current to storage.
 *
 * @example A limit that is too high
 * ```ts
 * import assert from "node:assert/strict";
 * import { maxConstraint } from "./limit_ranger.ts";
 *
 * assert.equal(
 *   maxConstraint({ limitType: "Container", resource: "cpu", enforced: "1" }, { requests: {}, limits: { cpu: "2" } }),
 *   "maximum cpu usage per Container is 1, but limit is 2",
 * );
 * ```
 *
 * @module
 */
import type { ObjectViews } from "../store/object_views.ts";
import type { LimitRange, LimitRangeItem } from "../types/core_v1_policy.ts";
import type { Container, Pod } from "../types/core_v1_pod.ts";
import type { PersistentVolumeClaim } from "../types/core_v1_storage.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { Quantity } from "../types/quantity.ts";
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.ts";
import { admissionForbidden } from "./_forbidden.ts";

/** The pod annotation listing the defaults LimitRanger applied. */
export const LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger";

const PREFIX = "/registry/limitranges/";
const BY_NAMESPACE = "limit-ranger:namespace";
/** Upstream `resource.MaxMilliValue`: the largest value whose milli-value fits an int64. */
const MAX_MILLI_VALUE = 9223372036854775807n / 1000n;

/** A resource list (`cpu: "500m"`). */
type ResourceList = Readonly<Record<string, string>>;

/** What a constraint checks: the item type, the resource and the enforced quantity. */
export interface ConstraintTarget {
  readonly limitType: string;
  readonly resource: string;
  readonly enforced: string;
}

/** The requests and limits a constraint is checked against. */
export interface ObservedResources {
  readonly requests: ResourceList | undefined;
  readonly limits: ResourceList | undefined;
}

function parse(q: string | undefined): Quantity {
  return Quantity.parse(q ?? "0");
}

/**
 * Upstream `requestLimitEnforcedValues`: the three values as integers, in milli-units when
 * none is too large for that.
 */
function enforcedValues(
  req: Quantity,
  lim: Quantity,
  enforced: Quantity,
): [bigint, bigint, bigint] {
  const r = req.value();
  const l = lim.value();
  const e = enforced.value();
  if (r <= MAX_MILLI_VALUE && l <= MAX_MILLI_VALUE && e <= MAX_MILLI_VALUE) {
    return [req.milliValue(), lim.milliValue(), enforced.milliValue()];
  }
  return [r, l, e];
}

/** The `min` rule (upstream `minConstraint`): the message of the violation, or `null`. */
export function minConstraint(t: ConstraintTarget, observed: ObservedResources): string | null {
  const reqText = observed.requests?.[t.resource];
  const limText = observed.limits?.[t.resource];
  const enforced = Quantity.parse(t.enforced);
  const req = parse(reqText);
  const lim = parse(limText);
  const [r, l, e] = enforcedValues(req, lim, enforced);
  const head = `minimum ${t.resource} usage per ${t.limitType} is ${enforced}`;
  if (reqText === undefined) return `${head}.  No request is specified`;
  if (r < e) return `${head}, but request is ${req}`;
  if (limText !== undefined && l < e) return `${head}, but limit is ${lim}`;
  return null;
}

/** The `max` rule (upstream `maxConstraint`): the message of the violation, or `null`. */
export function maxConstraint(t: ConstraintTarget, observed: ObservedResources): string | null {
  const reqText = observed.requests?.[t.resource];
  const limText = observed.limits?.[t.resource];
  const enforced = Quantity.parse(t.enforced);
  const req = parse(reqText);
  const lim = parse(limText);
  const [r, l, e] = enforcedValues(req, lim, enforced);
  const head = `maximum ${t.resource} usage per ${t.limitType} is ${enforced}`;
  if (limText === undefined) return `${head}.  No limit is specified`;
  if (l > e) return `${head}, but limit is ${lim}`;
  if (reqText !== undefined && r > e) return `${head}, but request is ${req}`;
  return null;
}

/** The `max` rule on requests alone (upstream `maxRequestConstraint`, for claims). */
export function maxRequestConstraint(
  t: ConstraintTarget,
  requests: ResourceList | undefined,
): string | null {
  const reqText = requests?.[t.resource];
  const enforced = Quantity.parse(t.enforced);
  const req = parse(reqText);
  const [r, , e] = enforcedValues(req, new Quantity(0n), enforced);
  const head = `maximum ${t.resource} usage per ${t.limitType} is ${enforced}`;
  if (reqText === undefined) return `${head}.  No request is specified`;
  if (r > e) return `${head}, but request is ${req}`;
  return null;
}

/** The `maxLimitRequestRatio` rule (upstream `limitRequestRatioConstraint`). */
export function limitRequestRatioConstraint(
  t: ConstraintTarget,
  observed: ObservedResources,
): string | null {
  const reqText = observed.requests?.[t.resource];
  const limText = observed.limits?.[t.resource];
  const enforced = Quantity.parse(t.enforced);
  const [r, l] = enforcedValues(parse(reqText), parse(limText), enforced);
  const head = `${t.resource} max limit to request ratio per ${t.limitType} is ${enforced}`;
  if (reqText === undefined || r === 0n) {
    return `${head}, but no request is specified or request is 0`;
  }
  if (limText === undefined || l === 0n) {
    return `${head}, but no limit is specified or limit is 0`;
  }
  // As upstream, in float64: the ratio in thousandths against the milli-value of the bound.
  const ratio = Number(l) / Number(r);
  let observedRatio = ratio;
  let bound = Number(enforced.value());
  if (enforced.value() <= MAX_MILLI_VALUE) {
    observedRatio = ratio * 1000;
    bound = Number(enforced.milliValue());
  }
  if (observedRatio > bound) return `${head}, but provided ratio is ${ratio.toFixed(6)}`;
  return null;
}

function addResources(into: Map<string, Quantity>, list: ResourceList | undefined): void {
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = Quantity.parse(v);
    const cur = into.get(k);
    into.set(k, cur ? cur.add(q) : q);
  }
}

function maxResources(into: Map<string, Quantity>, list: ReadonlyMap<string, Quantity>): void {
  for (const [k, q] of list) {
    const cur = into.get(k);
    if (!cur || q.cmp(cur) > 0) into.set(k, q);
  }
}

function toList(m: ReadonlyMap<string, Quantity>): Record<string, string> {
  return Object.fromEntries([...m].map(([k, q]) => [k, q.toString()]));
}

/**
 * The pod's effective requests or limits (upstream `podRequests` / `podLimits` on the spec):
 * the containers' sum, sidecars (init containers with `restartPolicy: Always`) added to it,
 * and at least the largest need of any init container while it runs beside the sidecars
 * started before it.
 */
export function podResources(pod: Pod, kind: "requests" | "limits"): Record<string, string> {
  const total = new Map<string, Quantity>();
  for (const c of pod.spec?.containers ?? []) addResources(total, c.resources?.[kind]);
  const sidecars = new Map<string, Quantity>();
  const init = new Map<string, Quantity>();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = c.resources?.[kind];
    let need: Map<string, Quantity>;
    if (c.restartPolicy === "Always") {
      addResources(total, own);
      addResources(sidecars, own);
      need = sidecars;
    } else {
      need = new Map();
      addResources(need, own);
      addResources(need, toList(sidecars));
    }
    maxResources(init, need);
  }
  maxResources(total, init);
  return toList(total);
}

/** Joins errors as upstream's `utilerrors.NewAggregate(...).Error()`: deduplicated, bracketed when several. */
function aggregate(errs: readonly string[]): string | null {
  const unique = [...new Set(errs)];
  if (unique.length === 0) return null;
  return unique.length === 1 ? unique[0]! : `[${unique.join(", ")}]`;
}

function itemsOf(lr: LimitRange): readonly LimitRangeItem[] {
  return lr.spec?.limits ?? [];
}

function checkAll(
  errs: string[],
  item: LimitRangeItem,
  observed: ObservedResources,
): void {
  const limitType = item.type;
  for (const [resource, enforced] of Object.entries(item.min ?? {})) {
    const e = minConstraint({ limitType, resource, enforced }, observed);
    if (e) errs.push(e);
  }
  for (const [resource, enforced] of Object.entries(item.max ?? {})) {
    const e = maxConstraint({ limitType, resource, enforced }, observed);
    if (e) errs.push(e);
  }
  for (const [resource, enforced] of Object.entries(item.maxLimitRequestRatio ?? {})) {
    const e = limitRequestRatioConstraint({ limitType, resource, enforced }, observed);
    if (e) errs.push(e);
  }
}

/**
 * Applies `lr`'s container defaults to `pod` (upstream `PodMutateLimitFunc`) and records them in
 * the `kubernetes.io/limit-ranger` annotation.
 */
export function applyLimitRangeDefaults(lr: LimitRange, pod: Pod): void {
  const defaults: { requests: Record<string, string>; limits: Record<string, string> } = {
    requests: {},
    limits: {},
  };
  for (const item of itemsOf(lr)) {
    if (item.type !== "Container") continue;
    Object.assign(defaults.requests, item.defaultRequest ?? {});
    Object.assign(defaults.limits, item.default ?? {});
  }
  const notes: string[] = [];
  const merge = (containers: Container[] | undefined, label: string) => {
    for (const c of containers ?? []) {
      const setLimits = mergeInto(c, { kind: "limits", defaults: defaults.limits });
      const setRequests = mergeInto(c, { kind: "requests", defaults: defaults.requests });
      if (setRequests.length > 0) {
        notes.push(`${setRequests.sort().join(", ")} request for ${label} ${c.name}`);
      }
      if (setLimits.length > 0) {
        notes.push(`${setLimits.sort().join(", ")} limit for ${label} ${c.name}`);
      }
    }
  };
  merge(pod.spec?.containers, "container");
  merge(pod.spec?.initContainers, "init container");
  if (notes.length > 0) {
    const meta = pod.metadata ??= {};
    (meta.annotations ??= {})[LIMIT_RANGER_ANNOTATION] = `LimitRanger plugin set: ${
      notes.join("; ")
    }`;
  }
}

function mergeInto(
  c: Container,
  options: { kind: "requests" | "limits"; defaults: Record<string, string> },
): string[] {
  const set: string[] = [];
  for (const [k, v] of Object.entries(options.defaults)) {
    const list = c.resources?.[options.kind];
    if (list !== undefined && k in list) continue;
    const resources = c.resources ??= {};
    (resources[options.kind] ??= {})[k] = Quantity.parse(v).toString();
    set.push(k);
  }
  return set;
}

/** Why `pod` breaks `lr` (upstream `PodValidateLimitFunc`), or `null`. */
export function podLimitError(lr: LimitRange, pod: Pod): string | null {
  const errs: string[] = [];
  for (const item of itemsOf(lr)) {
    if (item.type === "Container") {
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
        checkAll(errs, item, { requests: c.resources?.requests, limits: c.resources?.limits });
      }
    }
    if (item.type === "Pod") {
      checkAll(errs, item, {
        requests: podResources(pod, "requests"),
        limits: podResources(pod, "limits"),
      });
    }
  }
  return aggregate(errs);
}

/** Why `pvc` breaks `lr` (upstream `PersistentVolumeClaimValidateLimitFunc`), or `null`. */
export function claimLimitError(lr: LimitRange, pvc: PersistentVolumeClaim): string | null {
  const errs: string[] = [];
  const requests = pvc.spec?.resources?.requests;
  for (const item of itemsOf(lr)) {
    if (item.type !== "PersistentVolumeClaim") continue;
    for (const [resource, enforced] of Object.entries(item.min ?? {})) {
      const e = minConstraint({ limitType: item.type, resource, enforced }, {
        requests,
        limits: {},
      });
      if (e) errs.push(e);
    }
    for (const [resource, enforced] of Object.entries(item.max ?? {})) {
      const e = maxRequestConstraint({ limitType: item.type, resource, enforced }, requests);
      if (e) errs.push(e);
    }
  }
  return aggregate(errs);
}

function byNamespace(obj: KubeObject): readonly string[] {
  return [obj.metadata?.namespace ?? ""];
}

/** Options of {@linkcode LimitRanger}. */
export interface LimitRangerOptions {
  readonly views: ObjectViews;
}

/** The LimitRanger plugin. */
export class LimitRanger implements AdmissionPlugin {
  readonly name = "LimitRanger";
  readonly #views: ObjectViews;

  constructor(options: LimitRangerOptions) {
    this.#views = options.views;
  }

  /** Which object `a` is about, or `null` when the plugin ignores it (`SupportsAttributes`). */
  static #kind(a: AdmissionAttributes): "pods" | "persistentvolumeclaims" | null {
    if (a.def.group !== "" || a.subresource !== "" || a.object === undefined) return null;
    if (a.operation !== "CREATE" && a.operation !== "UPDATE") return null;
    if (a.def.resource === "pods") return a.operation === "CREATE" ? "pods" : null;
    if (a.def.resource === "persistentvolumeclaims") return "persistentvolumeclaims";
    return null;
  }

  async #limitRanges(a: AdmissionAttributes): Promise<LimitRange[] | null> {
    if (LimitRanger.#kind(a) === null) return null;
    if (a.oldObject?.metadata?.deletionTimestamp) return null;
    const view = await this.#views.started(PREFIX);
    view.addIndex(BY_NAMESPACE, byNamespace);
    const items = view.byIndex(BY_NAMESPACE, a.namespace) as LimitRange[];
    return items.sort((x, y) => (x.metadata?.name ?? "") < (y.metadata?.name ?? "") ? -1 : 1);
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    const ranges = await this.#limitRanges(a);
    if (ranges === null || LimitRanger.#kind(a) !== "pods") return;
    for (const lr of ranges) applyLimitRangeDefaults(lr, a.object as Pod);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const ranges = await this.#limitRanges(a);
    if (ranges === null) return;
    const kind = LimitRanger.#kind(a);
    for (const lr of ranges) {
      const err = kind === "pods"
        ? podLimitError(lr, a.object as Pod)
        : claimLimitError(lr, a.object as PersistentVolumeClaim);
      if (err !== null) throw admissionForbidden(a, err);
    }
  }
}
