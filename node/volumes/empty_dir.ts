/**
 * Sizing of memory-backed (tmpfs) emptyDir volumes, as the kubelet computes it: the node's
 * allocatable memory, lowered to the pod's memory limit when every container declares one,
 * lowered again to the volume's `sizeLimit` when that is smaller. Disk-backed emptyDirs are
 * not sized here: their `sizeLimit` is enforced by eviction.
 *
 * @example Size a tmpfs emptyDir
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyDirMemorySize, tmpfsMountOptions } from "./empty_dir.ts";
 *
 * const pod = { spec: { containers: [{ name: "c", resources: { limits: { memory: "1Gi" } } }] } };
 * const size = emptyDirMemorySize(pod, { nodeAllocatableMemory: "8Gi", sizeLimit: "64Mi" });
 * assert.deepEqual(tmpfsMountOptions(size), ["size=67108864"]);
 * ```
 *
 * @module
 */
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { Quantity } from "../../control/api/types/quantity.ts";

/** The emptyDir medium backed by memory (tmpfs). */
export const STORAGE_MEDIUM_MEMORY = "Memory";

type Limits = Map<string, Quantity>;

function add(into: Limits, list: Readonly<Record<string, string>> | undefined): void {
  for (const [name, text] of Object.entries(list ?? {})) {
    const q = Quantity.parse(text);
    const have = into.get(name);
    into.set(name, have ? have.add(q) : q);
  }
}

function max(into: Limits, other: Limits): void {
  for (const [name, q] of other) {
    const have = into.get(name);
    if (!have || q.cmp(have) > 0) into.set(name, q);
  }
}

function hasMemory(limits: Limits): boolean {
  const m = limits.get("memory");
  return m !== undefined && !m.isZero();
}

/**
 * The pod's memory limit in bytes as its cgroup gets it (upstream's `ResourceConfigForPod`):
 * regular and sidecar containers add up, init containers count by their peak, overhead is
 * added; undefined unless every container declares a memory limit.
 */
export function podMemoryLimitBytes(pod: Pod): bigint | undefined {
  const spec = pod.spec;
  let declared = true;
  const limits: Limits = new Map();
  for (const c of spec?.containers ?? []) {
    const own: Limits = new Map();
    add(own, c.resources?.limits);
    if (!hasMemory(own)) declared = false;
    add(limits, c.resources?.limits);
  }
  const sidecars: Limits = new Map();
  const initPeak: Limits = new Map();
  for (const c of spec?.initContainers ?? []) {
    let counted: Limits;
    if (c.restartPolicy === "Always") {
      add(limits, c.resources?.limits);
      add(sidecars, c.resources?.limits);
      counted = sidecars;
    } else {
      counted = new Map(sidecars);
      add(counted, c.resources?.limits);
    }
    if (!hasMemory(counted)) declared = false;
    max(initPeak, counted);
  }
  max(limits, initPeak);
  add(limits, spec?.overhead);
  if (!declared) return undefined;
  return limits.get("memory")?.value();
}

/** What {@linkcode emptyDirMemorySize} weighs. */
export interface EmptyDirMemorySizeOptions {
  /** The node's allocatable memory (a quantity); without it the kernel default applies. */
  readonly nodeAllocatableMemory?: string;
  /** The volume's `sizeLimit`. */
  readonly sizeLimit?: string;
}

/**
 * The size in bytes of a tmpfs emptyDir (upstream's `calculateEmptyDirMemorySize`), or
 * undefined for the kernel's default (half of RAM).
 */
export function emptyDirMemorySize(
  pod: Pod,
  options: EmptyDirMemorySizeOptions,
): bigint | undefined {
  let size = options.nodeAllocatableMemory === undefined
    ? 0n
    : Quantity.parse(options.nodeAllocatableMemory).value();
  const podLimit = podMemoryLimitBytes(pod);
  if (podLimit !== undefined && podLimit > 0n && podLimit <= size) size = podLimit;
  if (options.sizeLimit !== undefined) {
    const limit = Quantity.parse(options.sizeLimit).value();
    if (limit > 0n && limit <= size) size = limit;
  }
  return size > 0n ? size : undefined;
}

/** Options of {@linkcode tmpfsMountOptions}. */
export interface TmpfsMountOptions {
  /** Add `noswap` (Linux 6.4+), keeping the volume's pages out of swap. @default {false} */
  readonly noswap?: boolean;
}

/** The `-o` options of a tmpfs emptyDir: `size=<bytes>` when sized, `noswap` when asked. */
export function tmpfsMountOptions(
  sizeBytes: bigint | undefined,
  options: TmpfsMountOptions = {},
): string[] {
  const out: string[] = [];
  if (sizeBytes !== undefined && sizeBytes > 0n) out.push(`size=${sizeBytes}`);
  if (options.noswap) out.push("noswap");
  return out;
}
