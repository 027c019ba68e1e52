/**
 * ControllerRevision history, as upstream's `pkg/controller/history`: the StatefulSet and
 * DaemonSet controllers record each pod template they roll out as an immutable
 * ControllerRevision owned (by controllerRef) by the set.
 *
 * - A revision is named `<owner>-<hash>` (the owner's name cut to 223 characters) and labelled
 *   `controller.kubernetes.io/hash: <hash>`; the hash is upstream's: 32-bit FNV-1 over the
 *   data's JSON as Go prints it (keys sorted, `<`, `>`, `&` escaped) followed by the decimal
 *   collision count, its decimal value mapped onto the safe-encoding alphabet — so names
 *   match a real cluster's for the same data.
 * - {@linkcode templateRevisionData} builds the data both controllers store: a strategic
 *   patch replacing `spec.template`, in the shape Go's struct encoding gives it.
 * - {@linkcode ControllerHistory} lists an owner's revisions from the informer cache (owned
 *   ones and orphans, as upstream), creates one bumping the collision count while a revision
 *   of that name holds other data, renumbers, deletes, adopts and releases revisions.
 *
 * @example Record a StatefulSet's template
 * ```ts ignore
 * const history = new ControllerHistory({ client, store: revisionInformer.store });
 * const draft = newControllerRevision(set, {
 *   kind: { apiVersion: "apps/v1", kind: "StatefulSet" },
 *   templateLabels: set.spec.template.metadata?.labels ?? {},
 *   data: templateRevisionData(set.spec.template),
 *   revision: nextRevision(revisions),
 *   collisionCount: set.status?.collisionCount ?? 0,
 * });
 * const { revision, collisionCount } = await history.createControllerRevision(set, {
 *   revision: draft,
 *   collisionCount: set.status?.collisionCount ?? 0,
 * });
 * ```
 *
 * @module
 */
import { goJson } from "../util/go_json.ts";
import type { ControllerRevision } from "../api/types/apps_v1.ts";
import type { PodTemplateSpec } from "../api/types/core_v1_pod.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isAlreadyExists, isConflict, isInvalid, isNotFound } from "../client/errors.ts";
import type { CompiledLabelSelector } from "../client/label_selector.ts";
import { CONTROLLER_REVISIONS } from "../client/resources.ts";
import type { ObjectStore } from "../client/store.ts";
import { fnv1x32 } from "./_fnv.ts";
import {
  type ControllerKind,
  getControllerOf,
  newControllerRef,
} from "./controller_ref_manager.ts";

/** The label holding the hash of a ControllerRevision's data. */
export const CONTROLLER_REVISION_HASH_LABEL = "controller.kubernetes.io/hash";

/** The longest owner name kept in a revision name (so `<prefix>-<hash>` fits 253). */
const MAX_PREFIX_LENGTH = 223;

/** Upstream `rand.SafeEncodeString`'s alphabet: no vowels, no 0/1/3. */
const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** `s` with each character replaced from the safe alphabet (upstream `SafeEncodeString`). */
export function safeEncodeString(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    out += SAFE_ALPHABET[(s.charCodeAt(i) & 0xff) % SAFE_ALPHABET.length];
  }
  return out;
}

/** `<prefix>-<hash>`, the prefix cut to 223 characters (upstream `ControllerRevisionName`). */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${
    prefix.length > MAX_PREFIX_LENGTH ? prefix.slice(0, MAX_PREFIX_LENGTH) : prefix
  }-${hash}`;
}

/** A copy of `value` whose objects hold their keys in sorted order (so JSON prints as Go). */
function sortedCopy(value: unknown): unknown {
  return JSON.parse(goJson(value));
}

/**
 * The hash of a revision's data (upstream `HashControllerRevision`): FNV-1 over the data's
 * Go JSON, then the decimal `probe` (the collision count) if given, safe-encoded.
 */
export function hashControllerRevision(revision: ControllerRevision, probe?: number): string {
  const encoder = new TextEncoder();
  let h = fnv1x32(encoder.encode(revision.data === undefined ? "" : goJson(revision.data)));
  if (probe !== undefined) h = fnv1x32(encoder.encode(String(probe)), h);
  return safeEncodeString(String(h));
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value as Json : {};
}

/**
 * `template` as Go's struct encoding prints a `PodTemplateSpec`: `metadata.creationTimestamp`
 * is `null` and each container has `resources` (`{}` when empty), fields that are structs
 * upstream and so never left out.
 */
function goTemplateForm(template: PodTemplateSpec): Json {
  const t = structuredClone(template) as Json;
  const metadata = asObject(t.metadata);
  if (!("creationTimestamp" in metadata)) metadata.creationTimestamp = null;
  t.metadata = metadata;
  const spec = asObject(t.spec);
  for (const list of ["initContainers", "containers", "ephemeralContainers"]) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const c of containers) {
      const container = asObject(c);
      if (container.resources === undefined) container.resources = {};
    }
  }
  t.spec = spec;
  return t;
}

/**
 * The data a StatefulSet or DaemonSet revision stores (upstream `getPatch`): a strategic merge
 * patch that replaces the owner's `spec.template` with `template`, keys sorted as Go prints
 * them.
 */
export function templateRevisionData(template: PodTemplateSpec): unknown {
  return sortedCopy({ spec: { template: { ...goTemplateForm(template), $patch: "replace" } } });
}

/** The template a revision made by {@linkcode templateRevisionData} holds (`$patch` removed). */
export function templateFromRevisionData(data: unknown): PodTemplateSpec | undefined {
  const template = asObject(asObject(asObject(data).spec).template);
  if (Object.keys(template).length === 0) return undefined;
  const copy = structuredClone(template);
  delete copy.$patch;
  const metadata = asObject(copy.metadata);
  if (metadata.creationTimestamp === null) delete metadata.creationTimestamp;
  return copy as PodTemplateSpec;
}

/** What {@linkcode newControllerRevision} builds a revision from. */
export interface NewControllerRevisionInput {
  /** The owner's kind, for the controllerRef. */
  readonly kind: ControllerKind;
  /** Labels copied onto the revision (the owner's template labels). */
  readonly templateLabels?: Readonly<Record<string, string>>;
  readonly data: unknown;
  readonly revision: number;
  /** The owner's `status.collisionCount` (hashed in; upstream always passes one). */
  readonly collisionCount?: number;
}

/**
 * An unsaved revision of `parent` (upstream `NewControllerRevision`): controlled by `parent`,
 * labelled with the template labels and the hash, named `<parent>-<hash>`.
 */
export function newControllerRevision(
  parent: KubeObject,
  input: NewControllerRevisionInput,
): ControllerRevision {
  const draft: ControllerRevision = {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      namespace: parent.metadata?.namespace ?? "",
      labels: { ...input.templateLabels },
      ownerReferences: [newControllerRef(parent, input.kind)],
    },
    data: sortedCopy(input.data),
    revision: input.revision,
  };
  const hash = hashControllerRevision(draft, input.collisionCount);
  draft.metadata!.name = controllerRevisionName(parent.metadata?.name ?? "", hash);
  draft.metadata!.labels![CONTROLLER_REVISION_HASH_LABEL] = hash;
  return draft;
}

/** Whether two revisions hold the same data (upstream `EqualRevision`). */
export function equalRevision(
  a: ControllerRevision | undefined,
  b: ControllerRevision | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ha = a.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  const hb = b.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  // Upstream compares the labels only when both parse as decimal numbers.
  if (ha !== undefined && hb !== undefined && /^-?\d+$/.test(ha) && /^-?\d+$/.test(hb)) {
    if (Number(ha) !== Number(hb)) return false;
  }
  return goJson(a.data ?? null) === goJson(b.data ?? null);
}

/** The revisions equal to `needle`, in their order (upstream `FindEqualRevisions`). */
export function findEqualRevisions(
  revisions: readonly ControllerRevision[],
  needle: ControllerRevision,
): ControllerRevision[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

function creationMs(r: ControllerRevision): number {
  const t = r.metadata?.creationTimestamp;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * A copy of `revisions` sorted by `revision`, ties broken by creation time, then name
 * (upstream `SortControllerRevisions`, a stable sort).
 */
export function sortControllerRevisions(
  revisions: readonly ControllerRevision[],
): ControllerRevision[] {
  return [...revisions].sort((a, b) => {
    if (a.revision !== b.revision) return a.revision - b.revision;
    const ta = creationMs(a);
    const tb = creationMs(b);
    if (ta !== tb) return ta - tb;
    const na = a.metadata?.name ?? "";
    const nb = b.metadata?.name ?? "";
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

/** One more than the highest revision number, 1 when there are none. */
export function nextRevision(revisions: readonly ControllerRevision[]): number {
  let max = 0;
  for (const r of revisions) if (r.revision > max) max = r.revision;
  return max + 1;
}

/** What {@linkcode ControllerHistory} works with. */
export interface ControllerHistoryDeps {
  readonly client: Client;
  /** The ControllerRevision informer's cache (the lister). */
  readonly store: ObjectStore<ControllerRevision>;
}

/** What {@linkcode ControllerHistory.createControllerRevision} takes. */
export interface CreateRevisionRequest {
  /** A revision from {@linkcode newControllerRevision}. */
  readonly revision: ControllerRevision;
  /** The owner's collision count, hashed into the name. */
  readonly collisionCount: number;
}

/** What {@linkcode ControllerHistory.createControllerRevision} made. */
export interface CreateRevisionResult {
  /** The created revision, or an existing one with the same name and data. */
  readonly revision: ControllerRevision;
  /** The collision count, raised once per name taken by other data; the owner stores it. */
  readonly collisionCount: number;
}

/** Conflicting writes retried before giving up (upstream `retry.DefaultBackoff`'s steps). */
const UPDATE_ATTEMPTS = 4;

/** Reads an owner's ControllerRevisions from the cache and writes them through the API. */
export class ControllerHistory {
  readonly #client: ResourceClient<ControllerRevision>;
  readonly #store: ObjectStore<ControllerRevision>;

  constructor(deps: ControllerHistoryDeps) {
    this.#client = deps.client.resource(CONTROLLER_REVISIONS);
    this.#store = deps.store;
  }

  /**
   * The cached revisions in `parent`'s namespace matching `selector` that `parent` controls
   * or that have no controller (to adopt), as upstream `ListControllerRevisions`.
   */
  listControllerRevisions(
    parent: KubeObject,
    selector: CompiledLabelSelector,
  ): ControllerRevision[] {
    const uid = parent.metadata?.uid;
    return this.#store.byIndex("namespace", parent.metadata?.namespace ?? "").filter((r) => {
      if (!selector.matches(r.metadata?.labels)) return false;
      const ref = getControllerOf(r);
      return ref === undefined || ref.uid === uid;
    });
  }

  /**
   * Creates `request.revision` under `<parent>-<hash>`; when that name is taken by a revision
   * with other data, raises the collision count and tries the next name. A revision already
   * there with the same data is returned as is.
   */
  async createControllerRevision(
    parent: KubeObject,
    request: CreateRevisionRequest,
  ): Promise<CreateRevisionResult> {
    const namespace = parent.metadata?.namespace ?? "";
    const clone = structuredClone(request.revision);
    clone.metadata = { ...clone.metadata, namespace };
    const data = goJson(clone.data ?? null);
    let collisionCount = request.collisionCount;
    for (;;) {
      const hash = hashControllerRevision(request.revision, collisionCount);
      clone.metadata.name = controllerRevisionName(parent.metadata?.name ?? "", hash);
      try {
        const created = await this.#client.create(clone, { namespace });
        return { revision: created, collisionCount };
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      const existing = await this.#client.get(clone.metadata.name, { namespace });
      if (goJson(existing.data ?? null) === data) return { revision: existing, collisionCount };
      collisionCount++;
    }
  }

  /**
   * Sets the revision number of `revision` to `newRevision`, rereading it after a conflict
   * (upstream `UpdateControllerRevision`). Returns the revision as written.
   */
  async updateControllerRevision(
    revision: ControllerRevision,
    newRevision: number,
  ): Promise<ControllerRevision> {
    let current = revision;
    for (let attempt = 1;; attempt++) {
      if (current.revision === newRevision) return current;
      try {
        return await this.#client.update({ ...structuredClone(current), revision: newRevision });
      } catch (err) {
        if (!isConflict(err) || attempt >= UPDATE_ATTEMPTS) throw err;
        const { namespace = "", name = "" } = current.metadata ?? {};
        current = await this.#client.get(name, { namespace });
      }
    }
  }

  /** Deletes `revision`; one already gone is no error. */
  async deleteControllerRevision(revision: ControllerRevision): Promise<void> {
    const { namespace = "", name = "" } = revision.metadata ?? {};
    try {
      await this.#client.delete(name, { namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Makes `parent` the controller of the orphan `revision` by a strategic patch carrying the
   * revision's uid (upstream `AdoptControllerRevision`); rejects a revision with a controller.
   */
  async adoptControllerRevision(
    parent: KubeObject,
    request: { readonly kind: ControllerKind; readonly revision: ControllerRevision },
  ): Promise<ControllerRevision> {
    const { revision, kind } = request;
    const owner = getControllerOf(revision);
    if (owner) {
      throw new Error(
        `Cannot adopt revision "${revision.metadata?.name}": it is owned by ${owner.kind} "${owner.name}" (${owner.uid})`,
      );
    }
    return await this.#client.patch(revision.metadata?.name ?? "", {
      namespace: parent.metadata?.namespace ?? "",
      type: "strategic",
      body: {
        metadata: {
          ownerReferences: [newControllerRef(parent, kind)],
          uid: revision.metadata?.uid ?? "",
        },
      },
    });
  }

  /**
   * Removes `parent`'s owner reference from `revision` (upstream `ReleaseControllerRevision`);
   * `undefined` when the revision is gone or no longer matches (recreated, or not owned).
   */
  async releaseControllerRevision(
    parent: KubeObject,
    revision: ControllerRevision,
  ): Promise<ControllerRevision | undefined> {
    try {
      return await this.#client.patch(revision.metadata?.name ?? "", {
        namespace: revision.metadata?.namespace ?? "",
        type: "strategic",
        body: {
          metadata: {
            ownerReferences: [{ $patch: "delete", uid: parent.metadata?.uid ?? "" }],
            uid: revision.metadata?.uid ?? "",
          },
        },
      });
    } catch (err) {
      if (isNotFound(err) || isInvalid(err)) return undefined;
      throw err;
    }
  }
}
