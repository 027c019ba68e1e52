/**
 * The Priority admission plugin, as kube-apiserver's: a new pod's `priorityClassName` is
 * resolved to `spec.priority` and `spec.preemptionPolicy` (403 `no PriorityClass with name x
 * was found` for an unknown class); a pod naming no class gets the global default class (the
 * one with the lowest value if a race left several), or priority 0 and `PreemptLowerPriority`
 * when there is none. A pod may send `priority`/`preemptionPolicy` only if they equal what the
 * class gives; on update the stored values are kept when the request leaves them out. Only one
 * PriorityClass may be the global default. Any namespace may use the system classes (upstream
 * lifted the kube-system restriction in 1.17).
 *
 * The two system classes cannot be deleted (upstream's PriorityClass storage refuses with 403
 * `this is a system priority class and cannot be deleted`); updates to them are limited by the
 * strategy's validation (name, value and globalDefault fixed), as upstream.
 *
 * PriorityClasses come from the shared view.
 *
 * @example The system classes the API server creates at startup
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemPriorityClasses } from "./priority.ts";
 *
 * assert.deepEqual(systemPriorityClasses().map((pc) => pc.metadata?.name), [
 *   "system-node-critical",
 *   "system-cluster-critical",
 * ]);
 * ```
 *
 * @module
 */
import type { ObjectViews } from "../store/object_views.ts";
import {
  globalDefaultConflict,
  SYSTEM_PRIORITY_CLASSES,
  systemPriorityClassDeleteError,
} from "../strategies/priority_class.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import type { PriorityClass } from "../types/scheduling_v1.ts";
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.ts";
import { admissionForbidden, isResource } from "./_forbidden.ts";

const PREFIX = "/registry/priorityclasses/";

/** A pod's priority when no class is the global default (upstream `DefaultPriorityWhenNoDefaultClassExists`). */
export const DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS = 0;

/** The system PriorityClasses to create at startup, as fresh objects. */
export function systemPriorityClasses(): PriorityClass[] {
  return SYSTEM_PRIORITY_CLASSES.map((pc) => structuredClone(pc));
}

/** The global default class among `classes`: the lowest-valued one marked default. */
export function defaultPriorityClass(
  classes: Iterable<PriorityClass>,
): PriorityClass | undefined {
  let found: PriorityClass | undefined;
  for (const pc of classes) {
    if (pc.globalDefault && (found === undefined || found.value > pc.value)) found = pc;
  }
  return found;
}

/** What a pod's priority resolves to. */
interface Resolved {
  readonly className: string;
  readonly priority: number;
  readonly preemptionPolicy: string | undefined;
}

/** Options of {@linkcode PriorityAdmission}. */
export interface PriorityAdmissionOptions {
  readonly views: ObjectViews;
}

/** The Priority plugin. */
export class PriorityAdmission implements AdmissionPlugin {
  readonly name = "Priority";
  readonly #views: ObjectViews;

  constructor(options: PriorityAdmissionOptions) {
    this.#views = options.views;
  }

  async #classes() {
    return await this.#views.started(PREFIX);
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!isResource(a, { group: "", resource: "pods" }) || a.object === undefined) return;
    const pod = a.object as Pod;
    const spec = pod.spec ??= { containers: [] };
    if (a.operation === "UPDATE") {
      const old = (a.oldObject as Pod | undefined)?.spec;
      if (spec.priority === undefined && old?.priority !== undefined) spec.priority = old.priority;
      if (spec.preemptionPolicy === undefined && old?.preemptionPolicy !== undefined) {
        spec.preemptionPolicy = old.preemptionPolicy;
      }
      return;
    }
    if (a.operation !== "CREATE") return;
    const r = await this.#resolve(a, spec.priorityClassName ?? "");
    if (r.className) spec.priorityClassName = r.className;
    if (spec.priority !== undefined && spec.priority !== r.priority) {
      throw admissionForbidden(
        a,
        `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${r.priority} from the given PriorityClass name`,
      );
    }
    spec.priority = r.priority;
    if (r.preemptionPolicy !== undefined) {
      if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== r.preemptionPolicy) {
        throw admissionForbidden(
          a,
          `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${r.preemptionPolicy} from the given PriorityClass name`,
        );
      }
      spec.preemptionPolicy = r.preemptionPolicy as NonNullable<typeof spec.preemptionPolicy>;
    }
  }

  async #resolve(a: AdmissionAttributes, name: string): Promise<Resolved> {
    const view = await this.#classes();
    if (!name) {
      const pc = defaultPriorityClass(view.list() as Iterable<PriorityClass>);
      return pc
        ? {
          className: pc.metadata?.name ?? "",
          priority: pc.value,
          preemptionPolicy: pc.preemptionPolicy,
        }
        : {
          className: "",
          priority: DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS,
          preemptionPolicy: "PreemptLowerPriority",
        };
    }
    const pc = view.getByName("", name) as PriorityClass | undefined;
    if (pc === undefined) {
      throw admissionForbidden(a, `no PriorityClass with name ${name} was found`);
    }
    return { className: name, priority: pc.value, preemptionPolicy: pc.preemptionPolicy };
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!isResource(a, { group: "scheduling.k8s.io", resource: "priorityclasses" })) return;
    if (a.operation === "DELETE") {
      const err = systemPriorityClassDeleteError(a.name);
      if (err !== null) throw admissionForbidden(a, err);
      return;
    }
    if ((a.operation !== "CREATE" && a.operation !== "UPDATE") || a.object === undefined) return;
    const pc = a.object as PriorityClass;
    if (!pc.globalDefault) return;
    const view = await this.#classes();
    const conflict = globalDefaultConflict(pc, {
      existing: [...view.list()] as PriorityClass[],
      operation: a.operation === "CREATE" ? "create" : "update",
    });
    if (conflict !== null) throw admissionForbidden(a, conflict);
  }
}
