/**
 * The ClusterRole aggregation controller (upstream `clusterroleaggregation`): a ClusterRole
 * with `aggregationRule.clusterRoleSelectors` gets as rules the union of the rules of every
 * other ClusterRole a selector matches — selectors in order, matching roles by name, each rule
 * once — so `admin`, `edit` and `view` grow with the `aggregate-to-*` roles. It follows the
 * ClusterRoles view: any change re-evaluates the aggregated roles and writes those whose
 * rules differ (a merge patch of `rules`, as upstream's forced apply); nothing runs while
 * nothing changes.
 *
 * @example Start it once the app serves
 * ```ts ignore
 * const aggregation = new ClusterRoleAggregationController({ views, logger });
 * await aggregation.start(client, signal);
 * ```
 *
 * @module
 */
import type { Clock, TimerHandle } from "../../util/clock.ts";
import { systemClock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { InProcessClient } from "../in_process_client.ts";
import { fromLabelSelectorObject, type LabelMatcher } from "../selectors/label_selector.ts";
import type { ObjectView } from "../store/object_view.ts";
import type { ObjectViews } from "../store/object_views.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { ClusterRole, PolicyRule } from "../types/rbac_v1.ts";
import { RBAC_PREFIXES } from "./rbac_authorizer.ts";
import { ruleEqual, rulesEqual } from "./rbac_rules.ts";

/** The index of aggregated ClusterRoles (value `"true"`). */
const AGGREGATED_INDEX = "rbac-aggregated";

function aggregatedIndex(obj: KubeObject): string[] {
  return ((obj as ClusterRole).aggregationRule?.clusterRoleSelectors ?? []).length > 0
    ? ["true"]
    : [];
}

/**
 * The rules `role` aggregates from `roles` (every ClusterRole, in any order): for each
 * selector, the rules of the matching roles other than `role` itself, sorted by name, each
 * rule once. Throws `SelectorParseError` on a selector with an unknown operator.
 */
export function aggregatedRules(role: ClusterRole, roles: Iterable<ClusterRole>): PolicyRule[] {
  const all = [...roles].sort((a, b) => {
    const x = a.metadata?.name ?? "";
    const y = b.metadata?.name ?? "";
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const out: PolicyRule[] = [];
  const self = role.metadata?.name ?? "";
  for (const selector of role.aggregationRule?.clusterRoleSelectors ?? []) {
    const matcher: LabelMatcher | null = fromLabelSelectorObject(selector);
    if (matcher === null) continue;
    for (const other of all) {
      if ((other.metadata?.name ?? "") === self) continue;
      if (!matcher.matches(other.metadata?.labels)) continue;
      for (const rule of other.rules ?? []) {
        if (!out.some((r) => ruleEqual(r, rule))) out.push(rule);
      }
    }
  }
  return out;
}

/** Options of {@linkcode ClusterRoleAggregationController}. */
export interface ClusterRoleAggregationOptions {
  readonly views: ObjectViews;
  readonly logger: Logger;
  /** Times retries after a failed write. @default {systemClock} */
  readonly clock?: Clock;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;
const FIELD_MANAGER = "clusterrole-aggregation-controller";

/** Keeps aggregated ClusterRoles' rules the union of the roles they select. */
export class ClusterRoleAggregationController {
  readonly #views: ObjectViews;
  readonly #view: ObjectView;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #queue = new Set<string>();
  #client: InProcessClient | null = null;
  #signal: AbortSignal | null = null;
  #running: Promise<void> | null = null;
  #retryMs = FIRST_RETRY_MS;
  #retry: TimerHandle | null = null;
  readonly #retryNames = new Set<string>();

  constructor(options: ClusterRoleAggregationOptions) {
    this.#views = options.views;
    this.#view = options.views.get(RBAC_PREFIXES.clusterRoles);
    this.#view.addIndex(AGGREGATED_INDEX, aggregatedIndex);
    this.#logger = options.logger.with({ controller: "clusterrole-aggregation" });
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Starts following ClusterRoles, writing through `client` (which may escalate: a cluster
   * admin or the controller's own identity); resolves once the view is listed and the first
   * pass is queued. Stops when `signal` aborts.
   */
  async start(client: InProcessClient, signal: AbortSignal): Promise<void> {
    this.#client = client;
    this.#signal = signal;
    await this.#views.started(RBAC_PREFIXES.clusterRoles);
    this.#logger.info("Starting ClusterRoleAggregator controller");
    const off = this.#view.onChange(() => this.#enqueueAll());
    signal.addEventListener("abort", () => {
      off();
      this.#retry?.cancel();
      this.#logger.info("Shutting down ClusterRoleAggregator controller");
    }, { once: true });
    this.#enqueueAll();
  }

  /** Resolves when the queued work is done (for tests). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #enqueueAll(): void {
    for (const role of this.#view.byIndex(AGGREGATED_INDEX, "true")) {
      this.#queue.add(role.metadata?.name ?? "");
    }
    this.#kick();
  }

  #kick(): void {
    if (this.#running || this.#queue.size === 0 || this.#signal?.aborted) return;
    this.#running = this.#drain().finally(() => {
      this.#running = null;
      this.#kick();
    });
  }

  async #drain(): Promise<void> {
    // Let the view deliver a burst of changes first (the initial list, a kubectl apply).
    await Promise.resolve();
    while (this.#queue.size > 0 && !this.#signal?.aborted) {
      const name = this.#queue.values().next().value!;
      this.#queue.delete(name);
      try {
        await this.#sync(name);
        this.#retryMs = FIRST_RETRY_MS;
      } catch (err) {
        this.#logger.warn("Cannot aggregate ClusterRole rules, retrying", {
          clusterRole: name,
          error: err,
          retryMs: this.#retryMs,
        });
        this.#scheduleRetry(name);
      }
    }
  }

  #scheduleRetry(name: string): void {
    this.#retryNames.add(name);
    if (this.#retry) return;
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
    this.#retry = this.#clock.setTimeout(() => {
      this.#retry = null;
      for (const n of this.#retryNames) this.#queue.add(n);
      this.#retryNames.clear();
      this.#kick();
    }, delay);
  }

  async #sync(name: string): Promise<void> {
    const role = this.#view.getByName("", name) as ClusterRole | undefined;
    if (!role || (role.aggregationRule?.clusterRoleSelectors ?? []).length === 0) return;
    const rules = aggregatedRules(role, this.#view.list() as Iterable<ClusterRole>);
    if (rulesEqual(rules, role.rules)) return;
    const res = await this.#client!.json(
      "PATCH",
      `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}?fieldManager=${FIELD_MANAGER}`,
      {
        body: { rules },
        contentType: "application/merge-patch+json",
        ...(this.#signal ? { signal: this.#signal } : {}),
      },
    );
    // Deleted meanwhile: nothing to aggregate into.
    if (res.status === 404) return;
    if (res.status !== 200) {
      throw new Error(
        `Cannot update clusterrole "${name}": ${res.status} ${String(res.body.message ?? "")}`,
      );
    }
    this.#logger.debug("Aggregated ClusterRole rules", { clusterRole: name, rules: rules.length });
  }
}
