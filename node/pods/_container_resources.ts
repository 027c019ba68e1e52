/**
 * A container's cgroup settings as the kubelet computes them: CPU shares from the request
 * (the limit when no request is set; at least 2, at most 262144), a CFS quota over a 100ms
 * period from the limit, the memory limit, the OOM score adjustment of its QoS class, and on
 * cgroup v2 `memory.oom.group` so an OOM kill takes the whole container.
 *
 * @module
 */
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import { Quantity } from "../../control/api/types/quantity.ts";
import { qosClassOf } from "../../control/api/types/pod_qos.ts";
import type * as cri from "../cri/types.ts";

const MIN_SHARES = 2n;
const MAX_SHARES = 262144n;
const SHARES_PER_CPU = 1024n;
/** The CFS period, in microseconds. */
export const CPU_PERIOD_US = 100000;
const MIN_QUOTA_US = 1000n;
const GUARANTEED_OOM_SCORE_ADJ = -997;
const BEST_EFFORT_OOM_SCORE_ADJ = 1000;
const SYSTEM_CRITICAL_PRIORITY = 2000000000;

function quantity(list: Readonly<Record<string, string>> | undefined, name: string) {
  const text = list?.[name];
  return text === undefined ? undefined : Quantity.parse(text);
}

/** CPU shares of `milliCpu` millicores. */
export function milliCpuToShares(milliCpu: bigint): bigint {
  if (milliCpu === 0n) return MIN_SHARES;
  const shares = (milliCpu * SHARES_PER_CPU) / 1000n;
  return shares < MIN_SHARES ? MIN_SHARES : shares > MAX_SHARES ? MAX_SHARES : shares;
}

/** The CFS quota of `milliCpu` millicores over `periodUs`; 0 (unlimited) for no limit. */
export function milliCpuToQuota(milliCpu: bigint, periodUs: bigint): bigint {
  if (milliCpu === 0n) return 0n;
  const quota = (milliCpu * periodUs) / 1000n;
  return quota < MIN_QUOTA_US ? MIN_QUOTA_US : quota;
}

function isRestartableInit(pod: Pod, container: Container): boolean {
  return container.restartPolicy === "Always" &&
    (pod.spec?.initContainers ?? []).some((c) => c.name === container.name);
}

function isNodeCritical(pod: Pod): boolean {
  const spec = pod.spec;
  const critical = (spec?.priority ?? 0) >= SYSTEM_CRITICAL_PRIORITY ||
    pod.metadata?.annotations?.["kubernetes.io/config.source"] !== undefined &&
      pod.metadata.annotations["kubernetes.io/config.source"] !== "api";
  return critical && spec?.priorityClassName === "system-node-critical";
}

/**
 * The `oom_score_adj` of `container`: -997 for Guaranteed and node-critical pods, 1000 for
 * BestEffort, and for Burstable `1000 − 1000·request/capacity` within [3, 999] (a sidecar's
 * no higher than the regular container with the smallest request).
 */
export function oomScoreAdjust(
  pod: Pod,
  options: { readonly container: Container; readonly memoryCapacityBytes: bigint },
): number {
  const { container, memoryCapacityBytes } = options;
  if (isNodeCritical(pod)) return GUARANTEED_OOM_SCORE_ADJ;
  const qos = pod.status?.qosClass ?? qosClassOf(pod);
  if (qos === "Guaranteed") return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === "BestEffort") return BEST_EFFORT_OOM_SCORE_ADJ;
  if (memoryCapacityBytes <= 0n) return BEST_EFFORT_OOM_SCORE_ADJ - 1;
  const score = (request: bigint) => 1000n - (1000n * request) / memoryCapacityBytes;
  const request = quantity(container.resources?.requests, "memory")?.value() ?? 0n;
  let adj = score(request);
  if (isRestartableInit(pod, container)) {
    const requests = (pod.spec?.containers ?? []).map((c) =>
      quantity(c.resources?.requests, "memory")?.value() ?? 0n
    );
    if (requests.length > 0) {
      const min = requests.reduce((a, b) => (b < a ? b : a));
      const regular = score(min);
      if (adj > regular) adj = regular;
    }
  }
  const n = Number(adj);
  if (n < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (n === BEST_EFFORT_OOM_SCORE_ADJ) return n - 1;
  return n;
}

/** What {@linkcode linuxResources} reads besides the pod. */
export interface ResourceOptions {
  readonly container: Container;
  /** The node's memory capacity (machine memory), for the Burstable OOM score. */
  readonly memoryCapacityBytes: bigint;
  /** Enforce CPU limits with a CFS quota (`--cpu-cfs-quota`). @default {true} */
  readonly cpuCfsQuota?: boolean;
  /** The node uses cgroup v2: set `memory.oom.group`. @default {false} */
  readonly cgroupV2?: boolean;
  /** The host's huge page sizes (`2MB`, `1GB`, as under /sys/kernel/mm/hugepages). @default {[]} */
  readonly hugePageSizes?: readonly string[];
}

const PAGE_UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/** `2097152` → `2MB`: a page size in the 1024-based units cgroups name them by. */
export function hugePageUnitSize(bytes: bigint): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1024n && size % 1024n === 0n && unit < PAGE_UNITS.length - 1) {
    size /= 1024n;
    unit++;
  }
  return `${size}${PAGE_UNITS[unit]}`;
}

/** A limit for every host page size: 0 unless the container's `hugepages-<size>` limit sets one. */
export function hugepageLimits(
  container: Container,
  pageSizes: readonly string[],
): cri.HugepageLimit[] {
  const wanted = new Map<string, bigint>();
  for (const [name, amount] of Object.entries(container.resources?.limits ?? {})) {
    if (!name.startsWith("hugepages-")) continue;
    try {
      const size = Quantity.parse(name.slice("hugepages-".length)).value();
      wanted.set(hugePageUnitSize(size), Quantity.parse(amount).value());
    } catch {
      // validation rejects such names
    }
  }
  return pageSizes.map((pageSize) => ({ pageSize, limit: int64(wanted.get(pageSize) ?? 0n) }));
}

/** The CRI resources of `options.container`. */
export function linuxResources(pod: Pod, options: ResourceOptions): cri.LinuxContainerResources {
  const { container } = options;
  const requests = container.resources?.requests;
  const limits = container.resources?.limits;
  const cpuRequest = quantity(requests, "cpu");
  const cpuLimit = quantity(limits, "cpu")?.milliValue() ?? 0n;
  const memLimit = quantity(limits, "memory")?.value() ?? 0n;
  const shares = milliCpuToShares(cpuRequest === undefined ? cpuLimit : cpuRequest.milliValue());
  const out: {
    -readonly [K in keyof cri.LinuxContainerResources]: cri.LinuxContainerResources[K];
  } = { cpuShares: Number(shares) };
  if (memLimit !== 0n) out.memoryLimitInBytes = int64(memLimit);
  if (options.cpuCfsQuota ?? true) {
    out.cpuQuota = int64(milliCpuToQuota(cpuLimit, BigInt(CPU_PERIOD_US)));
    out.cpuPeriod = CPU_PERIOD_US;
  }
  out.oomScoreAdj = oomScoreAdjust(pod, options);
  const sizes = options.hugePageSizes ?? [];
  if (sizes.length > 0) out.hugepageLimits = hugepageLimits(container, sizes);
  if (options.cgroupV2) out.unified = { "memory.oom.group": "1" };
  return out;
}

function int64(n: bigint): cri.Int64Input {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n.toString();
}
