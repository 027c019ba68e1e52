/**
 * The deterministic write schedule of the durability test: op `i` touches one of a few keys and
 * creates, updates or deletes it with a value derived from `i`, so a verifier can recompute what
 * any acknowledged prefix of the schedule must have left in storage.
 *
 * @module
 */

/** Keys the schedule cycles through. */
export const PLAN_KEYS = 16;
/** Value sizes, cycled: inline, chunked in one commit, and chunked over several commits. */
const SIZES = [64, 1024, 4096, 70_000, 200, 900_000, 10, 1024, 30_000, 0];

/** One planned write. */
export interface PlannedOp {
  readonly seq: number;
  readonly key: string;
  readonly action: "create" | "update" | "delete";
  /** The value written (absent for deletes). */
  readonly value?: Uint8Array;
}

/** The value op `seq` writes: a header naming the op, then bytes derived from it. */
export function valueFor(seq: number): Uint8Array {
  const size = SIZES[seq % SIZES.length]!;
  const out = new Uint8Array(size);
  let x = (seq * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Yields the schedule from op 0, tracking which keys exist to pick create/update/delete. */
export function* plan(): Generator<PlannedOp> {
  const exists = new Set<string>();
  for (let seq = 0;; seq++) {
    const key = `/registry/configmaps/durability/k${seq % PLAN_KEYS}`;
    if (!exists.has(key)) {
      exists.add(key);
      yield { seq, key, action: "create", value: valueFor(seq) };
    } else if (seq % 11 === 7) {
      exists.delete(key);
      yield { seq, key, action: "delete" };
    } else {
      yield { seq, key, action: "update", value: valueFor(seq) };
    }
  }
}
