/**
 * The API server's CustomResourceDefinition loop (upstream's naming, establishing and
 * finalizer controllers, and the CRD handler's registration), and the set of served resources
 * it keeps: the built-in ones plus those of every established CRD.
 *
 * - **Names.** A CRD's names are accepted unless another CRD of its group already uses them
 *   (plural, singular, short names, kind, list kind): `NamesAccepted` is `True` (`NoConflicts`)
 *   or `False` with the conflict (`PluralConflict`: `"crontabs" is already in use`), and
 *   `status.acceptedNames` holds the names in use.
 * - **Established.** Once its names are accepted, the CRD's versions are added to the served
 *   resources — discovery, OpenAPI and the REST paths change with them — and then `Established`
 *   is written `True` (`InitialNamesAccepted`), so a client that sees the condition finds the
 *   resource. A restarted server serves established CRDs before it is ready.
 * - **Deletion.** A deleted CRD (kept by the `customresourcecleanup.apiextensions.k8s.io`
 *   finalizer) is `Terminating`: its resources refuse new objects, every custom resource is
 *   deleted, and once none is left the finalizer is removed and the resources stop being served.
 *
 * It follows the CRDs' storage prefix; work is queued by name, writes go through the API
 * (in-process client) and failed ones are retried with backoff. Nothing runs while nothing
 * changes.
 *
 * @example Serve custom resources
 * ```ts ignore
 * const crds = new CustomResourceDefinitions({ builtins, storage, clock, logger, signal });
 * const app = createApiApp({ ...deps, registry: () => crds.registry() });
 * await crds.start(client);
 * ```
 *
 * @module
 */
import type { Storage } from "../../storage/types.ts";
import type { Clock, TimerHandle } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { InProcessClient } from "../in_process_client.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import { ResourceRegistry } from "../registry/resource_registry.ts";
import { ObjectView } from "../store/object_view.ts";
import {
  CUSTOM_RESOURCE_CLEANUP_FINALIZER,
  type CustomResourceDefinition,
  type CustomResourceDefinitionCondition,
  type CustomResourceDefinitionNames,
  type CustomResourceDefinitionStatus,
} from "../types/apiextensions_v1.ts";
import { formatTime } from "../../util/k8s_time.ts";
import { customResourceDefs } from "./custom_resource_defs.ts";

/** Where CRDs are stored. */
export const CRD_STORAGE_PREFIX = "/registry/customresourcedefinitions/";

const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 30_000;
/** How often a terminating CRD checks again for custom resources kept by finalizers. */
const CLEANUP_RECHECK_MS = 1000;

/** Options of {@linkcode CustomResourceDefinitions}. */
export interface CustomResourceDefinitionsOptions {
  /** The built-in resources; custom ones never replace them. */
  readonly builtins: ResourceRegistry;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Stops the loop. */
  readonly signal: AbortSignal;
}

function condition(
  status: CustomResourceDefinitionStatus | undefined,
  type: string,
): CustomResourceDefinitionCondition | undefined {
  return (status?.conditions ?? []).find((c) => c.type === type);
}

function isTrue(crd: CustomResourceDefinition, type: string): boolean {
  return condition(crd.status, type)?.status === "True";
}

/** Sets a condition, keeping `lastTransitionTime` unless the status changes (upstream `SetCRDCondition`). */
export function setCondition(
  status: CustomResourceDefinitionStatus,
  options: {
    readonly condition: Omit<CustomResourceDefinitionCondition, "lastTransitionTime">;
    readonly nowMs: number;
  },
): void {
  const { condition: c, nowMs } = options;
  const conditions = status.conditions ??= [];
  const i = conditions.findIndex((x) => x.type === c.type);
  const old = i >= 0 ? conditions[i] : undefined;
  const lastTransitionTime = old && old.status === c.status && old.lastTransitionTime
    ? old.lastTransitionTime
    : formatTime(nowMs);
  const next: CustomResourceDefinitionCondition = {
    type: c.type,
    status: c.status,
    lastTransitionTime,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  };
  if (i >= 0) conditions[i] = next;
  else conditions.push(next);
}

/** What upstream's naming controller accepts: the names, and the NamesAccepted condition. */
export function acceptedNames(
  crd: CustomResourceDefinition,
  others: readonly CustomResourceDefinition[],
): {
  names: CustomResourceDefinitionNames;
  condition: Omit<CustomResourceDefinitionCondition, "lastTransitionTime">;
} {
  const used = {
    resource: new Set<string>(),
    kinds: new Set<string>(),
  };
  for (const o of others) {
    if (o.spec?.group !== crd.spec.group || o.metadata?.name === crd.metadata?.name) continue;
    const n = o.status?.acceptedNames;
    if (!n) continue;
    for (const x of [n.plural, n.singular ?? "", ...(n.shortNames ?? [])]) {
      if (x) used.resource.add(x);
    }
    for (const x of [n.kind, n.listKind ?? ""]) if (x) used.kinds.add(x);
  }
  const want = crd.spec.names;
  const had = crd.status?.acceptedNames ?? { plural: "", kind: "" };
  const names: CustomResourceDefinitionNames = { ...had, plural: had.plural, kind: had.kind };
  const conflicts: { reason: string; message: string }[] = [];
  const note = (reason: string, value: string) => {
    conflicts.push({ reason, message: `"${value}" is already in use` });
  };
  if (used.resource.has(want.plural)) note("PluralConflict", want.plural);
  else names.plural = want.plural;
  const singular = want.singular ?? "";
  if (singular && used.resource.has(singular)) note("SingularConflict", singular);
  else if (singular) names.singular = singular;
  const shortConflict = (want.shortNames ?? []).find((s) => used.resource.has(s));
  if (shortConflict) note("ShortNamesConflict", shortConflict);
  else if (want.shortNames?.length) names.shortNames = [...want.shortNames];
  else delete names.shortNames;
  if (used.kinds.has(want.kind)) note("KindConflict", want.kind);
  else names.kind = want.kind;
  const listKind = want.listKind ?? "";
  if (listKind && used.kinds.has(listKind)) note("ListKindConflict", listKind);
  else if (listKind) names.listKind = listKind;
  if (want.categories?.length) names.categories = [...want.categories];
  else delete names.categories;
  const c = conflicts[0];
  return {
    names,
    condition: c === undefined
      ? {
        type: "NamesAccepted",
        status: "True",
        reason: "NoConflicts",
        message: "no conflicts found",
      }
      : { type: "NamesAccepted", status: "False", reason: c.reason, message: c.message },
  };
}

function revisionOf(crd: CustomResourceDefinition | undefined): number {
  return Number(crd?.metadata?.resourceVersion ?? 0) || 0;
}

/** Keeps CRDs' status and the served custom resources. */
export class CustomResourceDefinitions {
  readonly #o: CustomResourceDefinitionsOptions;
  readonly #view: ObjectView;
  readonly #logger: Logger;
  /** The newest object this loop wrote, by name (ahead of the view for a moment). */
  readonly #written = new Map<string, CustomResourceDefinition>();
  /** The served definitions of each CRD, with what they were built from. */
  readonly #served = new Map<string, { key: string; defs: ResourceDef[] }>();
  readonly #queue = new Set<string>();
  readonly #retryNames = new Set<string>();
  #registry: ResourceRegistry | null = null;
  #client: InProcessClient | null = null;
  #running: Promise<void> | null = null;
  #retry: TimerHandle | null = null;
  #retryMs = FIRST_RETRY_MS;
  #started = false;

  constructor(options: CustomResourceDefinitionsOptions) {
    this.#o = options;
    this.#logger = options.logger.with({ controller: "customresourcedefinitions" });
    this.#view = new ObjectView({
      storage: options.storage,
      prefix: CRD_STORAGE_PREFIX,
      logger: this.#logger,
    });
  }

  /** The served resources: the built-in ones and those of established CRDs. */
  registry(): ResourceRegistry {
    if (this.#registry) return this.#registry;
    const builtin = this.#o.builtins;
    const defs: ResourceDef[] = [...builtin.all()];
    const taken = new Set(defs.map((d) => `${d.group}/${d.version}/${d.resource}`));
    for (const name of [...this.#served.keys()].sort()) {
      for (const def of this.#served.get(name)!.defs) {
        const key = `${def.group}/${def.version}/${def.resource}`;
        if (taken.has(key)) continue;
        taken.add(key);
        defs.push(def);
      }
    }
    this.#registry = new ResourceRegistry(defs);
    return this.#registry;
  }

  /**
   * Lists the CRDs, serves the established ones, and starts following them, writing through
   * `client` (which must be allowed to update CRD status and delete custom resources).
   */
  async start(client: InProcessClient): Promise<void> {
    this.#client = client;
    const signal = this.#o.signal;
    await this.#view.start(signal);
    for (const obj of this.#view.list()) this.#serve(obj as CustomResourceDefinition);
    this.#logger.info("Starting CustomResourceDefinition controllers");
    const off = this.#view.onChange((c) => {
      const name = c.object.metadata?.name;
      if (name) this.#enqueue(name);
    });
    signal.addEventListener("abort", () => {
      off();
      this.#retry?.cancel();
      this.#logger.info("Shutting down CustomResourceDefinition controllers");
    }, { once: true });
    this.#started = true;
    for (const obj of this.#view.list()) this.#enqueue(obj.metadata?.name ?? "");
  }

  /** Resolves when the queued work is done (tests). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #enqueue(name: string): void {
    if (!name) return;
    this.#queue.add(name);
    this.#kick();
  }

  #kick(): void {
    if (!this.#started || this.#running || this.#queue.size === 0 || this.#o.signal.aborted) {
      return;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = null;
      this.#kick();
    });
  }

  async #drain(): Promise<void> {
    await Promise.resolve();
    while (this.#queue.size > 0 && !this.#o.signal.aborted) {
      const name = this.#queue.values().next().value!;
      this.#queue.delete(name);
      try {
        await this.#sync(name);
        this.#retryMs = FIRST_RETRY_MS;
      } catch (err) {
        if (this.#o.signal.aborted) return;
        this.#logger.warn("Cannot sync CustomResourceDefinition, retrying", {
          crd: name,
          error: err,
          retryMs: this.#retryMs,
        });
        this.#later(name, this.#retryMs);
        this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
      }
    }
  }

  #later(name: string, delayMs: number): void {
    this.#retryNames.add(name);
    if (this.#retry) return;
    this.#retry = this.#o.clock.setTimeout(() => {
      this.#retry = null;
      for (const n of this.#retryNames) this.#queue.add(n);
      this.#retryNames.clear();
      this.#kick();
    }, delayMs);
  }

  /** The newest known state of a CRD: the view's, or what this loop just wrote. */
  #current(name: string): CustomResourceDefinition | undefined {
    const seen = this.#view.getByName("", name) as CustomResourceDefinition | undefined;
    const written = this.#written.get(name);
    if (!seen) {
      this.#written.delete(name);
      return undefined;
    }
    if (written && revisionOf(written) > revisionOf(seen)) return written;
    this.#written.delete(name);
    return seen;
  }

  /** Serves (or stops serving) a CRD's resources as its state says. */
  #serve(crd: CustomResourceDefinition | undefined, name = crd?.metadata?.name ?? ""): void {
    if (!crd || !isTrue(crd, "Established")) {
      if (this.#served.delete(name)) this.#registry = null;
      return;
    }
    const terminating = crd.metadata?.deletionTimestamp !== undefined;
    const key = JSON.stringify([crd.spec, crd.status?.acceptedNames, terminating]);
    if (this.#served.get(name)?.key === key) return;
    let defs: ResourceDef[];
    try {
      defs = customResourceDefs(crd, { terminating });
    } catch (err) {
      this.#logger.error("Cannot serve CustomResourceDefinition", { crd: name, error: err });
      return;
    }
    this.#served.set(name, { key, defs });
    this.#registry = null;
    this.#logger.info("Serving custom resources", {
      crd: name,
      versions: defs.map((d) => d.version),
    });
  }

  async #sync(name: string): Promise<void> {
    const crd = this.#current(name);
    if (!crd) {
      this.#serve(undefined, name);
      return;
    }
    if (crd.metadata?.deletionTimestamp) {
      this.#serve(crd, name);
      await this.#cleanup(crd);
      return;
    }
    const others = [...this.#view.list()].map((o) =>
      o.metadata?.name === name ? crd : this.#current(o.metadata?.name ?? "") ?? o
    ) as CustomResourceDefinition[];
    const { names, condition: namesAccepted } = acceptedNames(crd, others);
    const status: CustomResourceDefinitionStatus = structuredClone(
      crd.status ?? {
        acceptedNames: { plural: "", kind: "" },
      },
    );
    const now = this.#o.clock.now();
    status.acceptedNames = names;
    setCondition(status, { condition: namesAccepted, nowMs: now });
    const established = condition(status, "Established");
    if (established?.status !== "True") {
      if (namesAccepted.status === "True") {
        setCondition(status, {
          condition: {
            type: "Established",
            status: "True",
            reason: "InitialNamesAccepted",
            message: "the initial names have been accepted",
          },
          nowMs: now,
        });
      } else {
        setCondition(status, {
          condition: {
            type: "Established",
            status: "False",
            reason: "NotAccepted",
            message: "not all names are accepted",
          },
          nowMs: now,
        });
      }
    }
    const next: CustomResourceDefinition = { ...structuredClone(crd), status };
    if (JSON.stringify(next.status) === JSON.stringify(crd.status)) {
      this.#serve(crd, name);
      return;
    }
    // Serve first, so that whoever sees Established finds the resources.
    this.#serve(next, name);
    const written = await this.#writeStatus(next);
    if (written) {
      this.#written.set(name, written);
      this.#serve(written, name);
    }
  }

  async #writeStatus(crd: CustomResourceDefinition): Promise<CustomResourceDefinition | null> {
    const name = crd.metadata?.name ?? "";
    const res = await this.#client!.json("PUT", `${CRD_PATH}/${name}/status`, {
      body: crd,
      signal: this.#o.signal,
    });
    if (res.status === 404) return null;
    if (res.status === 409) {
      // The view will bring the newer object; sync again then (or now, if it already has).
      this.#written.delete(name);
      this.#enqueue(name);
      return null;
    }
    if (res.status !== 200) {
      throw new Error(
        `Cannot update the status of CRD "${name}": ${res.status} ${
          String(res.body.message ?? "")
        }`,
      );
    }
    return res.body as unknown as CustomResourceDefinition;
  }

  /** Deletes a terminating CRD's custom resources, then removes its finalizer. */
  async #cleanup(crd: CustomResourceDefinition): Promise<void> {
    const name = crd.metadata?.name ?? "";
    if (!(crd.metadata?.finalizers ?? []).includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)) return;
    const now = this.#o.clock.now();
    const terminating = condition(crd.status, "Terminating");
    if (terminating?.reason !== "InstanceDeletionInProgress") {
      const status = structuredClone(crd.status ?? { acceptedNames: { plural: "", kind: "" } });
      setCondition(status, {
        condition: {
          type: "Terminating",
          status: "True",
          reason: "InstanceDeletionInProgress",
          message: "CustomResource deletion is in progress",
        },
        nowMs: now,
      });
      const written = await this.#writeStatus({ ...structuredClone(crd), status });
      if (!written) return;
      this.#written.set(name, written);
      crd = written;
    }
    const served = this.#served.get(name)?.defs[0];
    const group = crd.spec.group;
    const plural = crd.spec.names.plural;
    if (served) {
      const res = await this.#client!.request(
        "DELETE",
        `/apis/${group}/${served.version}/${plural}`,
        { body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" } },
      );
      await res.body?.cancel();
      if (res.status !== 200 && res.status !== 404) {
        throw new Error(`Cannot delete the custom resources of CRD "${name}": ${res.status}`);
      }
    }
    const left = await this.#o.storage.list(`/registry/${group}/${plural}/`, { limit: 1 });
    if (left.items.length > 0) {
      // Objects kept by their own finalizers: check again soon.
      this.#later(name, CLEANUP_RECHECK_MS);
      return;
    }
    const finalizers = (crd.metadata?.finalizers ?? []).filter((f) =>
      f !== CUSTOM_RESOURCE_CLEANUP_FINALIZER
    );
    const res = await this.#client!.json("PATCH", `${CRD_PATH}/${name}`, {
      contentType: "application/json-patch+json",
      body: [
        { op: "test", path: "/metadata/resourceVersion", value: crd.metadata?.resourceVersion },
        { op: "replace", path: "/metadata/finalizers", value: finalizers },
      ],
      signal: this.#o.signal,
    });
    if (res.status === 404) return;
    if (res.status === 409 || res.status === 422) {
      this.#written.delete(name);
      this.#enqueue(name);
      return;
    }
    if (res.status !== 200) {
      throw new Error(
        `Cannot remove the finalizer of CRD "${name}": ${res.status} ${
          String(res.body.message ?? "")
        }`,
      );
    }
    this.#logger.info("Removed all custom resources of a deleted CRD", { crd: name });
  }
}
