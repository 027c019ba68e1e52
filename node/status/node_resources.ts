/**
 * A node's `status.capacity` and `status.allocatable`, as the kubelet computes them: capacity
 * is what the machine has (`cpu`, `memory`, `pods`, `ephemeral-storage` of the data dir's
 * filesystem, one `hugepages-<size>` per huge page size); allocatable is capacity minus
 * kube-reserved, system-reserved and the hard eviction thresholds on `memory.available` and
 * `nodefs.available`, never negative, with huge pages also taken from memory. Quantities are
 * printed in Kubernetes' canonical form, so they compare equal to what the API server stores.
 *
 * @example Allocatable memory keeps 100Mi back for eviction
 * ```ts
 * import assert from "node:assert/strict";
 * import { allocatableReservation, nodeAllocatable } from "./node_resources.ts";
 * import { parseEvictionThresholds } from "./eviction_thresholds.ts";
 *
 * const capacity = { cpu: "4", memory: "8Gi", pods: "110" };
 * const reservation = allocatableReservation(capacity, {
 *   kubeReserved: { cpu: "100m" },
 *   evictionHard: parseEvictionThresholds("memory.available<100Mi"),
 * });
 * assert.deepEqual(nodeAllocatable(capacity, reservation), { cpu: "3900m", memory: "8092Mi", pods: "110" });
 * ```
 *
 * @module
 */
import { Quantity } from "../../control/api/types/quantity.ts";
import { type EvictionThreshold, thresholdValue } from "./eviction_thresholds.ts";
import type { MachineInfo } from "./machine_info.ts";

/** Resource names to quantities (`status.capacity`, `status.allocatable`). */
export type NodeResourceList = Record<string, string>;

/** The kubelet's default `--max-pods`. */
export const DEFAULT_MAX_PODS = 110;

/** The prefix of huge page resource names. */
export const HUGEPAGES_PREFIX = "hugepages-";

/** Options of {@linkcode nodeCapacity}. */
export interface CapacityOptions {
  /** @default {110} */
  readonly maxPods?: number;
}

/** The resource name of a huge page size, e.g. `hugepages-2Mi`. */
export function hugePageResourceName(pageSizeKiB: number): string {
  const size = new Quantity(BigInt(pageSizeKiB) * 1024n, { format: "BinarySI" });
  return `${HUGEPAGES_PREFIX}${size.toString()}`;
}

function bytes(n: number): string {
  return new Quantity(BigInt(Math.max(0, Math.floor(n))), { format: "BinarySI" }).toString();
}

/** What the machine has. */
export function nodeCapacity(info: MachineInfo, options: CapacityOptions = {}): NodeResourceList {
  const maxPods = options.maxPods ?? DEFAULT_MAX_PODS;
  if (!Number.isInteger(maxPods) || maxPods < 0) {
    throw new RangeError(`Cannot use max pods ${maxPods}: expected a whole number >= 0`);
  }
  const out: NodeResourceList = {
    cpu: new Quantity(BigInt(info.numCores)).toString(),
    "ephemeral-storage": bytes(info.rootfsCapacityBytes),
    memory: bytes(info.memoryCapacityBytes),
    pods: new Quantity(BigInt(maxPods)).toString(),
  };
  for (const h of info.hugePages) {
    out[hugePageResourceName(h.pageSizeKiB)] = bytes(h.pageSizeKiB * 1024 * h.numPages);
  }
  return out;
}

/** Options of {@linkcode allocatableReservation}. */
export interface ReservationOptions {
  /** `--kube-reserved`: what the node agent and the runtime keep (`{ cpu: "100m" }`). */
  readonly kubeReserved?: Readonly<NodeResourceList>;
  /** `--system-reserved`: what the OS keeps. */
  readonly systemReserved?: Readonly<NodeResourceList>;
  /** The hard eviction thresholds; `memory.available` and `nodefs.available` are kept back. */
  readonly evictionHard?: readonly EvictionThreshold[];
}

function addTo(out: Map<string, Quantity>, name: string, q: Quantity): void {
  const known = out.get(name);
  out.set(name, known ? known.add(q) : q);
}

/** What is kept back from each resource (upstream `GetNodeAllocatableReservation`). */
export function allocatableReservation(
  capacity: Readonly<NodeResourceList>,
  options: ReservationOptions,
): NodeResourceList {
  const sum = new Map<string, Quantity>();
  for (const list of [options.kubeReserved, options.systemReserved]) {
    for (const [name, value] of Object.entries(list ?? {})) addTo(sum, name, Quantity.parse(value));
  }
  for (const t of options.evictionHard ?? []) {
    const resource = t.signal === "memory.available"
      ? "memory"
      : t.signal === "nodefs.available"
      ? "ephemeral-storage"
      : undefined;
    if (resource === undefined) continue;
    const cap = capacity[resource];
    const capValue = cap === undefined ? 0n : Quantity.parse(cap).value();
    addTo(sum, resource, new Quantity(thresholdValue(t, capValue), { format: "BinarySI" }));
  }
  return Object.fromEntries([...sum].map(([name, q]) => [name, q.toString()]));
}

/** Capacity minus `reservation`, floored at zero; huge pages are also taken from memory. */
export function nodeAllocatable(
  capacity: Readonly<NodeResourceList>,
  reservation: Readonly<NodeResourceList>,
): NodeResourceList {
  const zero = new Quantity(0n);
  const out = new Map<string, Quantity>();
  for (const [name, value] of Object.entries(capacity)) {
    let q = Quantity.parse(value);
    const r = reservation[name];
    if (r !== undefined) q = q.sub(Quantity.parse(r));
    out.set(name, q.sign() < 0 ? zero : q);
  }
  const memory = out.get("memory");
  if (memory !== undefined) {
    let left = memory;
    for (const [name, value] of Object.entries(capacity)) {
      if (name.startsWith(HUGEPAGES_PREFIX)) left = left.sub(Quantity.parse(value));
    }
    out.set("memory", left.sign() < 0 ? zero : left);
  }
  return Object.fromEntries([...out].map(([name, q]) => [name, q.toString()]));
}
