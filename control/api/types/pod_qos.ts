/**
 * A pod's quality-of-service class, computed from the requests and limits of its containers and
 * init containers exactly as upstream's `ComputePodQOS` (`pkg/apis/core/v1/helper/qos`): only cpu
 * and memory count, zero quantities are ignored, and a pod is Guaranteed when every container
 * limits both cpu and memory and the summed requests equal the summed limits.
 *
 * @example Classify a pod
 * ```ts
 * import assert from "node:assert/strict";
 * import { qosClassOf } from "./pod_qos.ts";
 *
 * const limits = { cpu: "1", memory: "1Gi" };
 * assert.equal(qosClassOf({ spec: { containers: [{ name: "a" }] } }), "BestEffort");
 * assert.equal(
 *   qosClassOf({ spec: { containers: [{ name: "a", resources: { limits, requests: limits } }] } }),
 *   "Guaranteed",
 * );
 * ```
 *
 * @module
 */
import { Quantity } from "./quantity.ts";

/** The three QoS classes. */
export type PodQosClass = "Guaranteed" | "Burstable" | "BestEffort";

/** The parts of a container {@linkcode qosClassOf} reads. */
export interface QosContainer {
  readonly name?: string;
  readonly resources?: {
    readonly limits?: Readonly<Record<string, string | number>>;
    readonly requests?: Readonly<Record<string, string | number>>;
  };
}

/** The parts of a pod {@linkcode qosClassOf} reads. */
export interface QosPod {
  readonly spec?: {
    readonly containers?: readonly QosContainer[];
    readonly initContainers?: readonly QosContainer[];
  };
}

const QOS_RESOURCES = new Set(["cpu", "memory"]);

function parse(value: string | number): Quantity | null {
  try {
    return Quantity.parse(String(value));
  } catch {
    return null; // validation reports it
  }
}

/** Adds the positive cpu/memory quantities of `list` into `sums`; returns the names added. */
function accumulate(
  list: Readonly<Record<string, string | number>> | undefined,
  sums: Map<string, Quantity>,
): Set<string> {
  const found = new Set<string>();
  for (const [name, raw] of Object.entries(list ?? {})) {
    if (!QOS_RESOURCES.has(name)) continue;
    const q = parse(raw);
    if (q === null || q.sign() <= 0) continue;
    found.add(name);
    const prev = sums.get(name);
    sums.set(name, prev === undefined ? q : q.add(prev));
  }
  return found;
}

/** The QoS class of `pod`, from its (defaulted) container resources. */
export function qosClassOf(pod: QosPod): PodQosClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const c of containers) {
    accumulate(c.resources?.requests, requests);
    const limited = accumulate(c.resources?.limits, limits);
    if (!limited.has("cpu") || !limited.has("memory")) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (lim === undefined || lim.cmp(req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}
