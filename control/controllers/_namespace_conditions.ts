/**
 * The conditions the namespace controller reports on a Terminating namespace, with upstream's
 * types, reasons and messages (`pkg/controller/namespace/deletion/status_condition_utils.go`):
 * each of the five types is always present, `True` with a failure reason while something is
 * wrong or left, `False` with its "ok" reason otherwise.
 *
 * @module
 */
import type { NamespaceCondition, NamespaceStatus } from "../api/types/core_v1_namespace.ts";
import { GroupDiscoveryFailedError } from "./_api_discovery.ts";

/** The condition types the namespace controller maintains, in the order it writes them. */
export const NAMESPACE_DELETION_CONDITION_TYPES = [
  "NamespaceDeletionDiscoveryFailure",
  "NamespaceDeletionGroupVersionParsingFailure",
  "NamespaceDeletionContentFailure",
  "NamespaceContentRemaining",
  "NamespaceFinalizersRemaining",
] as const;

/** One of {@linkcode NAMESPACE_DELETION_CONDITION_TYPES}. */
export type NamespaceDeletionConditionType = typeof NAMESPACE_DELETION_CONDITION_TYPES[number];

const OK: Record<NamespaceDeletionConditionType, { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: {
    reason: "ResourcesDiscovered",
    message: "All resources successfully discovered",
  },
  NamespaceDeletionGroupVersionParsingFailure: {
    reason: "ParsedGroupVersions",
    message: "All legacy kube types successfully parsed",
  },
  NamespaceDeletionContentFailure: {
    reason: "ContentDeleted",
    message: "All content successfully deleted, may be waiting on finalization",
  },
  NamespaceContentRemaining: {
    reason: "ContentRemoved",
    message: "All content successfully removed",
  },
  NamespaceFinalizersRemaining: {
    reason: "ContentRemoved",
    message: "All content successfully removed",
  },
};

/** What is left in a namespace after one pass of deletion. */
export interface ContentTotals {
  /** Instances left per resource, keyed by anything unique per resource. */
  readonly remainingByResource: ReadonlyMap<
    string,
    { readonly resource: string; readonly group: string; readonly count: number }
  >;
  /** Instances held by each finalizer. */
  readonly remainingByFinalizer: ReadonlyMap<string, number>;
}

/**
 * Collects what went wrong in one deletion pass, then writes the conditions into a namespace's
 * status ({@linkcode NamespaceConditionUpdater.update}).
 */
export class NamespaceConditionUpdater {
  readonly #now: string;
  readonly #conditions: NamespaceCondition[] = [];
  readonly #contentErrors: Error[] = [];

  /** `now`: the RFC 3339 time new conditions and transitions get. */
  constructor(now: string) {
    this.#now = now;
  }

  /** Discovery failed (for some groups, or entirely). */
  processDiscoverResourcesErr(err: Error): void {
    const message = err instanceof GroupDiscoveryFailedError
      ? `Discovery failed for some groups, ${err.groups.size} failing: ${err.message}`
      : err.message;
    this.#add("NamespaceDeletionDiscoveryFailure", { reason: "DiscoveryFailed", message });
  }

  /** A discovered group-version could not be parsed. */
  processGroupVersionErr(err: Error): void {
    this.#add("NamespaceDeletionGroupVersionParsingFailure", {
      reason: "GroupVersionParsingFailed",
      message: err.message,
    });
  }

  /** Deleting the content of one resource failed. */
  processDeleteContentErr(err: Error): void {
    this.#contentErrors.push(err);
  }

  /** What is left: resources with instances, and finalizers holding them. */
  processContentTotals(totals: ContentTotals): void {
    const resources: string[] = [];
    for (const { resource, group, count } of totals.remainingByResource.values()) {
      if (count === 0) continue;
      resources.push(`${resource}.${group} has ${count} resource instances`);
    }
    if (totals.remainingByResource.size > 0) {
      this.#add("NamespaceContentRemaining", {
        reason: "SomeResourcesRemain",
        message: `Some resources are remaining: ${resources.sort().join(", ")}`,
      });
    }
    const finalizers: string[] = [];
    for (const [finalizer, count] of totals.remainingByFinalizer) {
      if (count === 0) continue;
      finalizers.push(`${finalizer} in ${count} resource instances`);
    }
    if (totals.remainingByFinalizer.size > 0) {
      this.#add("NamespaceFinalizersRemaining", {
        reason: "SomeFinalizerRemain",
        message: `Some finalizers are remaining: ${finalizers.sort().join(", ")}`,
      });
    }
  }

  /**
   * Writes every condition type into `status.conditions` (the failure seen, else the "ok"
   * variant). A condition changes only when its status, reason or message differ; its
   * `lastTransitionTime` moves only when its status does. Answers whether anything changed.
   */
  update(status: NamespaceStatus): boolean {
    if (this.#contentErrors.length > 0 && !this.#get("NamespaceDeletionContentFailure")) {
      const messages = this.#contentErrors.map((e) => e.message).sort();
      this.#add("NamespaceDeletionContentFailure", {
        reason: "ContentDeletionFailed",
        message: `Failed to delete all resource types, ${messages.length} remaining: ${
          messages.join(", ")
        }`,
      });
    }
    let changed = false;
    const conditions = status.conditions ??= [];
    for (const type of NAMESPACE_DELETION_CONDITION_TYPES) {
      const wanted = this.#get(type) ?? {
        type,
        status: "False",
        lastTransitionTime: this.#now,
        ...OK[type],
      };
      const old = conditions.find((c) => c.type === type);
      if (!old) {
        conditions.push({ ...wanted });
        changed = true;
        continue;
      }
      if (
        old.status === wanted.status && old.reason === wanted.reason &&
        old.message === wanted.message
      ) {
        continue;
      }
      if (old.status !== wanted.status) old.lastTransitionTime = this.#now;
      old.status = wanted.status;
      if (wanted.reason !== undefined) old.reason = wanted.reason;
      if (wanted.message !== undefined) old.message = wanted.message;
      changed = true;
    }
    return changed;
  }

  #add(
    type: NamespaceDeletionConditionType,
    detail: { readonly reason: string; readonly message: string },
  ): void {
    this.#conditions.push({ type, status: "True", lastTransitionTime: this.#now, ...detail });
  }

  #get(type: NamespaceDeletionConditionType): NamespaceCondition | undefined {
    return this.#conditions.find((c) => c.type === type);
  }
}
