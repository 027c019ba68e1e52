/**
 * Hard eviction thresholds, as the kubelet's `--eviction-hard` (`memory.available<100Mi`,
 * `nodefs.available<10%`…): parsed from that syntax ({@linkcode parseEvictionThresholds}),
 * with upstream's Linux defaults ({@linkcode DEFAULT_EVICTION_HARD}), and judged against the
 * machine's state by a {@linkcode PressureTracker}, which reports memory, disk and PID
 * pressure and holds each one for the pressure transition period (5 min) after its last
 * threshold was crossed, as the eviction manager does. Evicting pods is not done here.
 *
 * @example Memory below 100Mi is memory pressure
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_EVICTION_HARD, parseEvictionThresholds, PressureTracker } from "./eviction_thresholds.ts";
 *
 * const tracker = new PressureTracker({ thresholds: parseEvictionThresholds(DEFAULT_EVICTION_HARD) });
 * const fs = { capacityBytes: 100, availableBytes: 50, inodes: 100, inodesFree: 50 };
 * const stats = {
 *   memoryCapacityBytes: 2 ** 30, memoryAvailableBytes: 50 * 2 ** 20,
 *   nodefs: fs, imagefs: fs, maxPID: 32768, processes: 100,
 * };
 * assert.deepEqual(tracker.observe(stats, 0), { memory: true, disk: false, pid: false });
 * ```
 *
 * @module
 */
import { Quantity } from "../../control/api/types/quantity.ts";
import type { MachineStats } from "./machine_info.ts";

/** The eviction signals skiff observes. */
export const EVICTION_SIGNALS = [
  "memory.available",
  "nodefs.available",
  "nodefs.inodesFree",
  "imagefs.available",
  "imagefs.inodesFree",
  "pid.available",
] as const;

/** One of {@linkcode EVICTION_SIGNALS}. */
export type EvictionSignal = typeof EVICTION_SIGNALS[number];

/** `signal < value`: a quantity (`100Mi`, `1000`) or a fraction of the capacity (`10%` = 0.1). */
export interface EvictionThreshold {
  readonly signal: EvictionSignal;
  /** The absolute value, canonical (`100Mi`); unset when `fraction` is. */
  readonly quantity?: string;
  /** A fraction of the capacity in (0, 1]; unset when `quantity` is. */
  readonly fraction?: number;
}

/** Upstream's default hard eviction thresholds on Linux. */
export const DEFAULT_EVICTION_HARD =
  "memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%";

/** The default pressure transition period (`--eviction-pressure-transition-period`). */
export const DEFAULT_PRESSURE_TRANSITION_PERIOD_MS = 5 * 60_000;

/**
 * Parses `signal<value` pairs separated by commas (the `--eviction-hard` syntax); throws
 * `SyntaxError` for an unknown signal, an operator other than `<` or a bad value.
 */
export function parseEvictionThresholds(text: string): EvictionThreshold[] {
  const out: EvictionThreshold[] = [];
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const m = /^([a-z.A-Z]+)\s*<\s*(\S+)$/.exec(part);
    if (!m) {
      throw new SyntaxError(`Cannot parse eviction threshold "${part}": expected signal<value`);
    }
    const signal = m[1]! as EvictionSignal;
    if (!EVICTION_SIGNALS.includes(signal)) {
      throw new SyntaxError(
        `Cannot parse eviction threshold "${part}": unknown signal "${signal}"`,
      );
    }
    const value = m[2]!;
    if (value.endsWith("%")) {
      const percent = Number(value.slice(0, -1));
      if (!(percent > 0 && percent <= 100)) {
        throw new SyntaxError(
          `Cannot parse eviction threshold "${part}": percentage must be in (0, 100]`,
        );
      }
      out.push({ signal, fraction: percent / 100 });
      continue;
    }
    let quantity: Quantity;
    try {
      quantity = Quantity.parse(value);
    } catch (err) {
      throw new SyntaxError(`Cannot parse eviction threshold "${part}": bad quantity`, {
        cause: err,
      });
    }
    if (quantity.sign() < 0) {
      throw new SyntaxError(
        `Cannot parse eviction threshold "${part}": value must not be negative`,
      );
    }
    out.push({ signal, quantity: quantity.toString() });
  }
  return out;
}

/**
 * The value below which `threshold` is crossed, given the signal's capacity in units (bytes,
 * inodes, PIDs): a fraction is truncated to a whole number, as upstream computes it.
 */
export function thresholdValue(threshold: EvictionThreshold, capacity: bigint): bigint {
  if (threshold.quantity !== undefined) return Quantity.parse(threshold.quantity).value();
  return BigInt(Math.floor(Number(capacity) * (threshold.fraction ?? 0)));
}

/** Which resources are under pressure. */
export interface NodePressure {
  readonly memory: boolean;
  readonly disk: boolean;
  readonly pid: boolean;
}

/** What a signal observes: what is left, and of how much. */
interface Observation {
  readonly available: number;
  readonly capacity: number;
}

function observe(stats: MachineStats, signal: EvictionSignal): Observation {
  switch (signal) {
    case "memory.available":
      return { available: stats.memoryAvailableBytes, capacity: stats.memoryCapacityBytes };
    case "nodefs.available":
      return { available: stats.nodefs.availableBytes, capacity: stats.nodefs.capacityBytes };
    case "nodefs.inodesFree":
      return { available: stats.nodefs.inodesFree, capacity: stats.nodefs.inodes };
    case "imagefs.available":
      return { available: stats.imagefs.availableBytes, capacity: stats.imagefs.capacityBytes };
    case "imagefs.inodesFree":
      return { available: stats.imagefs.inodesFree, capacity: stats.imagefs.inodes };
    case "pid.available":
      return { available: stats.maxPID - stats.processes, capacity: stats.maxPID };
  }
}

function pressureOf(signal: EvictionSignal): keyof NodePressure {
  if (signal === "memory.available") return "memory";
  if (signal === "pid.available") return "pid";
  return "disk";
}

/** Whether `threshold` is crossed by `stats`. A filesystem without inodes never crosses an inode threshold. */
export function thresholdMet(threshold: EvictionThreshold, stats: MachineStats): boolean {
  const { available, capacity } = observe(stats, threshold.signal);
  if (capacity <= 0) return false;
  return BigInt(Math.floor(available)) < thresholdValue(threshold, BigInt(Math.floor(capacity)));
}

/** Options of {@linkcode PressureTracker}. */
export interface PressureTrackerOptions {
  readonly thresholds: readonly EvictionThreshold[];
  /** How long pressure is still reported after its last crossed threshold. @default {300000} */
  readonly transitionPeriodMs?: number;
}

/** Turns observations into memory, disk and PID pressure. */
export class PressureTracker {
  readonly #thresholds: readonly EvictionThreshold[];
  readonly #periodMs: number;
  readonly #lastSeenMs = new Map<keyof NodePressure, number>();

  constructor(options: PressureTrackerOptions) {
    this.#thresholds = options.thresholds;
    this.#periodMs = options.transitionPeriodMs ?? DEFAULT_PRESSURE_TRANSITION_PERIOD_MS;
  }

  /** The pressure to report at `nowMs`, given what the machine shows now. */
  observe(stats: MachineStats, nowMs: number): NodePressure {
    for (const threshold of this.#thresholds) {
      if (thresholdMet(threshold, stats)) this.#lastSeenMs.set(pressureOf(threshold.signal), nowMs);
    }
    const under = (kind: keyof NodePressure): boolean => {
      const seen = this.#lastSeenMs.get(kind);
      return seen !== undefined && nowMs - seen < this.#periodMs;
    };
    return { memory: under("memory"), disk: under("disk"), pid: under("pid") };
  }
}
