/**
 * Latency statistics for benchmarks.
 *
 * @module
 */

/** Summary of a set of latency samples in milliseconds. */
export interface LatencyStats {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  /** Operations per second over the wall time the samples took. */
  readonly opsPerSec: number;
}

/** The q-quantile (0–1) of sorted samples, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** Summarises `samples` (ms) taken over `wallMs`. */
export function summarize(samples: readonly number[], wallMs: number): LatencyStats {
  const sorted = samples.toSorted((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length);
  return {
    n: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    mean,
    opsPerSec: sorted.length / (wallMs / 1000),
  };
}

/** Times `op(i)` for i in [0, n) sequentially. */
export async function timeSequential(
  n: number,
  op: (i: number) => Promise<unknown>,
): Promise<LatencyStats> {
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op(i);
    samples.push(performance.now() - t0);
  }
  return summarize(samples, performance.now() - start);
}

/** The median of three or more runs' stats, by p50. */
export function medianRun(runs: LatencyStats[]): LatencyStats {
  const sorted = runs.toSorted((a, b) => a.p50 - b.p50);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A latency or rate for a table: no decimals from 100, one from 10, three below. */
export function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(3);
}
