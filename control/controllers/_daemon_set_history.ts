/**
 * A DaemonSet's ControllerRevisions (upstream `constructHistory`, `snapshot`,
 * `dedupCurHistories`, `controlledHistories` and `cleanupHistory` in
 * `pkg/controller/daemon/update.go`):
 *
 * - Each template the DaemonSet has rolled out is a revision whose data is a strategic patch
 *   replacing `spec.template` ({@linkcode templateRevisionData}), which is what
 *   `kubectl rollout undo` applies. The current one is the revision with the DaemonSet's data;
 *   when none has it, one is created as `<name>-<hash>` (the pod-template hash of the template
 *   and `status.collisionCount`), labelled with the template's labels and
 *   `controller-revision-hash`, carrying the DaemonSet's annotations (so `change-cause` shows
 *   in `kubectl rollout history`). A name taken by other data raises `collisionCount` and
 *   fails the sync, to be retried under the next name.
 * - The current revision is renumbered above every old one (a rollback to an old template
 *   makes that revision the newest); duplicates of it are deleted after relabelling their pods.
 * - Old revisions beyond `revisionHistoryLimit` (default 10) are deleted, oldest first, except
 *   those a live pod still carries the hash of.
 * - Revisions are claimed like pods: orphans matching the selector are adopted, owned ones
 *   that no longer match are released.
 *
 * @module
 */
import type { ControllerRevision, DaemonSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isAlreadyExists, isNotFound } from "../client/errors.ts";
import type { CompiledLabelSelector } from "../client/label_selector.ts";
import { CONTROLLER_REVISIONS, DAEMON_SETS, PODS } from "../client/resources.ts";
import type { ObjectStore } from "../client/store.ts";
import type { Logger } from "../util/logger.ts";
import { errorText } from "./_errors.ts";
import { REVISION_HASH_LABEL } from "./_daemon_set_pods.ts";
import { goJson } from "../util/go_json.ts";
import {
  ControllerHistory,
  sortControllerRevisions,
  templateRevisionData,
} from "./controller_history.ts";
import {
  type ControllerKind,
  getControllerOf,
  newControllerRef,
} from "./controller_ref_manager.ts";
import { computePodTemplateHash } from "./deployment.ts";

/** Index of ControllerRevisions without a controller, by namespace. */
export const ORPHAN_REVISION_INDEX = "orphanNamespace";

/** The data a revision of `ds`'s current template holds (upstream `getPatch`). */
export function daemonSetRevisionData(ds: DaemonSet): unknown {
  return templateRevisionData(ds.spec?.template ?? {});
}

/** Whether `revision` holds `ds`'s current template (upstream `Match`). */
export function revisionMatches(ds: DaemonSet, revision: ControllerRevision): boolean {
  return goJson(revision.data ?? null) === goJson(daemonSetRevisionData(ds));
}

/** The highest revision number of `revisions` (0 for none). */
export function maxRevision(revisions: readonly ControllerRevision[]): number {
  return revisions.reduce((max, r) => Math.max(max, r.revision), 0);
}

/** What {@linkcode DaemonSetHistory} works with. */
export interface DaemonSetHistoryDeps {
  readonly client: Client;
  /** The ControllerRevision cache, indexed by owner uid and by {@linkcode ORPHAN_REVISION_INDEX}. */
  readonly store: ObjectStore<ControllerRevision>;
  readonly kind: ControllerKind;
  /** The owner-uid index's name in `store`. */
  readonly ownerIndex: string;
  readonly logger: Logger;
}

/** The current revision and the others. */
export interface ConstructedHistory {
  readonly cur: ControllerRevision;
  readonly old: ControllerRevision[];
}

/** What {@linkcode DaemonSetHistory.construct} needs besides the DaemonSet. */
export interface ConstructHistoryInput {
  readonly selector: CompiledLabelSelector;
  /** The DaemonSet's claimed pods (read only when duplicates must be merged). */
  readonly pods: () => Promise<readonly Pod[]>;
  /** Rejects when `ds` must not adopt (it is gone or being deleted). */
  readonly canAdopt: () => Promise<void>;
}

/** Keeps a DaemonSet's ControllerRevisions. */
export class DaemonSetHistory {
  readonly #deps: DaemonSetHistoryDeps;
  readonly #history: ControllerHistory;
  readonly #revisions: ResourceClient<ControllerRevision>;
  readonly #daemonSets: ResourceClient<DaemonSet>;
  readonly #pods: ResourceClient<Pod>;

  constructor(deps: DaemonSetHistoryDeps) {
    this.#deps = deps;
    this.#history = new ControllerHistory({ client: deps.client, store: deps.store });
    this.#revisions = deps.client.resource(CONTROLLER_REVISIONS);
    this.#daemonSets = deps.client.resource(DAEMON_SETS);
    this.#pods = deps.client.resource(PODS);
  }

  /**
   * The current revision of `ds` (created or renumbered as needed) and its old ones (upstream
   * `constructHistory`).
   */
  async construct(ds: DaemonSet, input: ConstructHistoryInput): Promise<ConstructedHistory> {
    const current: ControllerRevision[] = [];
    const old: ControllerRevision[] = [];
    for (let revision of await this.#claim(ds, input)) {
      if (revision.metadata?.labels?.[REVISION_HASH_LABEL] === undefined) {
        // Older revisions lack the hash label: their name stands in (no collision to fear).
        const copy = structuredClone(revision);
        copy.metadata!.labels = {
          ...copy.metadata!.labels,
          [REVISION_HASH_LABEL]: copy.metadata!.name ?? "",
        };
        revision = await this.#revisions.update(copy);
      }
      (revisionMatches(ds, revision) ? current : old).push(revision);
    }
    const next = maxRevision(old) + 1;
    if (current.length === 0) return { cur: await this.#snapshot(ds, next), old };
    let cur = await this.#dedup(ds, { current, pods: input.pods });
    if (cur.revision < next) cur = await this.#history.updateControllerRevision(cur, next);
    return { cur, old };
  }

  /**
   * Deletes old revisions beyond `revisionHistoryLimit`, oldest first, sparing those whose hash
   * a pod in `pods` carries (upstream `cleanupHistory`).
   */
  async cleanup(
    ds: DaemonSet,
    input: { readonly old: readonly ControllerRevision[]; readonly pods: readonly Pod[] },
  ): Promise<void> {
    let toKill = input.old.length - (ds.spec?.revisionHistoryLimit ?? 10);
    if (toKill <= 0) return;
    const live = new Set<string>();
    for (const pod of input.pods) {
      const hash = pod.metadata?.labels?.[REVISION_HASH_LABEL];
      if (hash) live.add(hash);
    }
    for (const revision of sortControllerRevisions(input.old)) {
      if (toKill <= 0) break;
      if (live.has(revision.metadata?.labels?.[REVISION_HASH_LABEL] ?? "")) continue;
      await this.#history.deleteControllerRevision(revision);
      toKill--;
    }
  }

  /** The revisions `ds` controls, after adopting and releasing (upstream `controlledHistories`). */
  async #claim(ds: DaemonSet, input: ConstructHistoryInput): Promise<ControllerRevision[]> {
    const { store, ownerIndex, kind } = this.#deps;
    const uid = ds.metadata?.uid ?? "";
    const namespace = ds.metadata?.namespace ?? "";
    const deleting = !!ds.metadata?.deletionTimestamp;
    const claimed: ControllerRevision[] = [];
    const errors: unknown[] = [];
    let canAdopt: Promise<void> | null = null;
    const owned = store.byIndex(ownerIndex, uid).filter((r) => getControllerOf(r)?.uid === uid);
    for (const revision of owned) {
      const matches = input.selector.matches(revision.metadata?.labels);
      if (matches) {
        claimed.push(revision);
        continue;
      }
      if (deleting) continue;
      try {
        await this.#history.releaseControllerRevision(ds, revision);
      } catch (err) {
        errors.push(err);
      }
    }
    for (const revision of store.byIndex(ORPHAN_REVISION_INDEX, namespace)) {
      if (deleting || revision.metadata?.deletionTimestamp) continue;
      if (!input.selector.matches(revision.metadata?.labels)) continue;
      try {
        canAdopt ??= input.canAdopt();
        await canAdopt;
        claimed.push(await this.#history.adoptControllerRevision(ds, { kind, revision }));
      } catch (err) {
        if (!isNotFound(err)) errors.push(err);
      }
    }
    if (errors.length > 0) {
      throw new Error(`Cannot claim ControllerRevisions: ${errorText(errors[0])}`, {
        cause: errors.length === 1 ? errors[0] : new AggregateError(errors),
      });
    }
    return claimed;
  }

  /** Creates the revision of `ds`'s current template (upstream `snapshot`). */
  async #snapshot(ds: DaemonSet, revision: number): Promise<ControllerRevision> {
    const template = ds.spec?.template ?? {};
    const namespace = ds.metadata?.namespace ?? "";
    const collisionCount = ds.status?.collisionCount;
    const hash = computePodTemplateHash(template, collisionCount);
    const name = `${ds.metadata?.name ?? ""}-${hash}`;
    const annotations = ds.metadata?.annotations;
    const draft: ControllerRevision = {
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      metadata: {
        name,
        namespace,
        labels: { ...template.metadata?.labels, [REVISION_HASH_LABEL]: hash },
        ...(annotations ? { annotations: { ...annotations } } : {}),
        ownerReferences: [newControllerRef(ds, this.#deps.kind)],
      },
      data: daemonSetRevisionData(ds),
      revision,
    };
    try {
      return await this.#revisions.create(draft, { namespace });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.#revisions.get(name, { namespace });
      if (revisionMatches(ds, existing)) return existing;
      // Another template hashed to this name: bump collisionCount (on a fresh read, so only
      // once per collision) and let the retry use the next name.
      const fresh = await this.#daemonSets.get(ds.metadata?.name ?? "", { namespace });
      if (fresh.status?.collisionCount !== collisionCount) {
        throw new Error(
          `found a stale collision count (${collisionCount ?? "nil"}, expected ${
            fresh.status?.collisionCount ?? "nil"
          }) of DaemonSet "${ds.metadata?.name}" while processing; will retry until it is updated`,
        );
      }
      const bumped = (fresh.status?.collisionCount ?? 0) + 1;
      await this.#daemonSets.updateStatus({
        ...fresh,
        status: {
          currentNumberScheduled: 0,
          numberMisscheduled: 0,
          desiredNumberScheduled: 0,
          numberReady: 0,
          ...fresh.status,
          collisionCount: bumped,
        },
      });
      this.#deps.logger.info(
        "Found a hash collision for DaemonSet - bumping collisionCount to resolve it",
        { daemonSet: `${namespace}/${ds.metadata?.name}`, collisionCount: bumped },
      );
      throw err;
    }
  }

  /**
   * Keeps the highest-numbered of several revisions with the current data, relabelling pods
   * of the others first (upstream `dedupCurHistories`).
   */
  async #dedup(
    ds: DaemonSet,
    input: {
      readonly current: readonly ControllerRevision[];
      readonly pods: () => Promise<readonly Pod[]>;
    },
  ): Promise<ControllerRevision> {
    const { current } = input;
    if (current.length === 1) return current[0]!;
    let keep = current[0]!;
    for (const r of current) if (r.revision >= keep.revision) keep = r;
    const hash = keep.metadata?.labels?.[REVISION_HASH_LABEL] ?? "";
    const namespace = ds.metadata?.namespace ?? "";
    for (const pod of await input.pods()) {
      if (pod.metadata?.labels?.[REVISION_HASH_LABEL] === hash) continue;
      await this.#pods.patch(pod.metadata?.name ?? "", {
        namespace,
        type: "merge",
        body: { metadata: { labels: { [REVISION_HASH_LABEL]: hash } } },
      });
    }
    for (const r of current) {
      if (r.metadata?.name !== keep.metadata?.name) {
        await this.#history.deleteControllerRevision(r);
      }
    }
    return keep;
  }
}
