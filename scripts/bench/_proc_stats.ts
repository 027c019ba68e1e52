/**
 * A process's CPU time and memory from `/proc`, for the benchmarks and their child processes.
 *
 * @module
 */
import { cpuUsage } from "node:process";

/** The sizes {@linkcode procStatusMiB} reads. */
export const STATUS_FIELDS = ["VmRSS", "VmHWM", "RssAnon", "RssFile"] as const;

/** CPU seconds (utime + stime, all threads) in the text of a `/proc/<pid>/stat` file. */
export function ticksOf(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat(5); `fields[0]` is field 3. Ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds a process used so far (all threads), from `/proc/<pid>/stat`. */
export async function cpuSecondsOf(pid: number): Promise<number> {
  return ticksOf(await Deno.readTextFile(`/proc/${pid}/stat`));
}

/**
 * Seconds CPU `cpu` spent busy (user, nice, system, irq, softirq, steal), from the text of
 * `/proc/stat`; NaN when it has no such CPU. Ticks of 1/100 s.
 */
export function cpuBusySecondsOf(stat: string, cpu: number): number {
  const line = stat.split("\n").find((l) => l.startsWith(`cpu${cpu} `));
  if (line === undefined) return NaN;
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = line.trim().split(/\s+/)
    .slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) +
    (steal ?? 0)) / 100;
}

/** Seconds CPU `cpu` spent busy so far ({@linkcode cpuBusySecondsOf} of `/proc/stat`). */
export async function cpuBusySeconds(cpu: number): Promise<number> {
  return cpuBusySecondsOf(await Deno.readTextFile("/proc/stat"), cpu);
}

/** {@linkcode STATUS_FIELDS} in the text of a `/proc/<pid>/status` file, MiB (NaN if absent). */
export function statusSizesMiB(status: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const field of STATUS_FIELDS) {
    out[field] = Number(new RegExp(`${field}:\\s*(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
  }
  return out;
}

/** `/proc/<pid>/status` sizes ({@linkcode STATUS_FIELDS}) of a process, or of this one, MiB. */
export async function procStatusMiB(pid: number | "self"): Promise<Record<string, number>> {
  return statusSizesMiB(await Deno.readTextFile(`/proc/${pid}/status`));
}

/** CPU time this process used so far (all threads, user and system), µs. */
export function ownCpuUs(): number {
  const u = cpuUsage();
  return u.user + u.system;
}

/** This process's V8 heap after a full GC (when `--expose-gc` gave it one), MiB. */
export interface HeapAfterGc {
  /** Whether a GC ran: false without `--expose-gc`. */
  readonly gc: boolean;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
}

/** Runs a full GC if it can, then measures this process's V8 heap. */
export function heapAfterGc(): HeapAfterGc {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m = Deno.memoryUsage();
  return {
    gc: gc !== undefined,
    heapUsedMiB: m.heapUsed / 2 ** 20,
    heapTotalMiB: m.heapTotal / 2 ** 20,
    externalMiB: m.external / 2 ** 20,
  };
}
