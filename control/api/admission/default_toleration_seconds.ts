/**
 * The DefaultTolerationSeconds admission plugin, as kube-apiserver's: a pod that does not
 * already tolerate `node.kubernetes.io/not-ready:NoExecute` (or `unreachable`) — by that key
 * or an empty one, with effect `NoExecute` or an empty one — gets a toleration for it with
 * `tolerationSeconds: 300`, so it is evicted five minutes after its node stops reporting
 * rather than at once. Runs on pod creates and updates (not subresources).
 *
 * @example Tolerations of a pod with none
 * ```ts
 * import assert from "node:assert/strict";
 * import { addDefaultTolerations } from "./default_toleration_seconds.ts";
 *
 * const spec: { tolerations?: object[] } = {};
 * addDefaultTolerations(spec);
 * assert.equal(spec.tolerations?.length, 2);
 * ```
 *
 * @module
 */
import type { Toleration } from "../types/core_v1_common.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.ts";
import { isResource } from "./_forbidden.ts";

/** The taint of a node whose kubelet reports it not ready. */
export const TAINT_NODE_NOT_READY = "node.kubernetes.io/not-ready";
/** The taint of a node that stopped reporting. */
export const TAINT_NODE_UNREACHABLE = "node.kubernetes.io/unreachable";
/** Upstream's default for both tolerations (`--default-not-ready-toleration-seconds`). */
export const DEFAULT_TOLERATION_SECONDS = 300;

/** Options of {@linkcode addDefaultTolerations} and {@linkcode DefaultTolerationSeconds}. */
export interface DefaultTolerationSecondsOptions {
  /** @default {300} */
  readonly notReadySeconds?: number;
  /** @default {300} */
  readonly unreachableSeconds?: number;
}

function tolerates(tolerations: readonly Toleration[], key: string): boolean {
  return tolerations.some((t) =>
    (t.key === key || !t.key) && (t.effect === "NoExecute" || !t.effect)
  );
}

/** Appends the missing default tolerations to `spec`, in place. */
export function addDefaultTolerations(
  spec: { tolerations?: Toleration[] },
  options: DefaultTolerationSecondsOptions = {},
): void {
  const current = spec.tolerations ?? [];
  const add: Toleration[] = [];
  if (!tolerates(current, TAINT_NODE_NOT_READY)) {
    add.push({
      key: TAINT_NODE_NOT_READY,
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: options.notReadySeconds ?? DEFAULT_TOLERATION_SECONDS,
    });
  }
  if (!tolerates(current, TAINT_NODE_UNREACHABLE)) {
    add.push({
      key: TAINT_NODE_UNREACHABLE,
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: options.unreachableSeconds ?? DEFAULT_TOLERATION_SECONDS,
    });
  }
  if (add.length > 0) spec.tolerations = [...current, ...add];
}

/** The DefaultTolerationSeconds plugin. */
export class DefaultTolerationSeconds implements AdmissionPlugin {
  readonly name = "DefaultTolerationSeconds";
  readonly #o: DefaultTolerationSecondsOptions;

  constructor(options: DefaultTolerationSecondsOptions = {}) {
    this.#o = options;
  }

  admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== "CREATE" && a.operation !== "UPDATE") return Promise.resolve();
    if (!isResource(a, { group: "", resource: "pods" }) || a.object === undefined) {
      return Promise.resolve();
    }
    const pod = a.object as Pod;
    addDefaultTolerations(pod.spec ??= { containers: [] }, this.#o);
    return Promise.resolve();
  }
}
