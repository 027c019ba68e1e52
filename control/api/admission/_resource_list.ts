/**
 * Resource lists as the quota system does arithmetic on them (upstream
 * `k8s.io/apiserver/pkg/quota/v1` helpers): a map from resource name to quantity, with sums,
 * non-negative differences, masks, comparisons and the `name=value,…` form quota errors print.
 *
 * @module
 */
import { Quantity } from "../types/quantity.ts";

/** Resource name → quantity. */
export type ResourceList = Map<string, Quantity>;

/** Parses a stored list (`{"cpu": "500m"}`); values that do not parse are left out. */
export function parseResourceList(
  raw: Readonly<Record<string, string | number>> | undefined,
): ResourceList {
  const out: ResourceList = new Map();
  for (const [name, value] of Object.entries(raw ?? {})) {
    const q = parseQuantity(value);
    if (q !== null) out.set(name, q);
  }
  return out;
}

/** A quantity from stored text, or `null` (validation reports bad values). */
export function parseQuantity(value: string | number | undefined): Quantity | null {
  if (value === undefined) return null;
  try {
    return Quantity.parse(String(value));
  } catch {
    return null;
  }
}

/** The list as stored JSON: canonical quantities, names in Go's (sorted) map order. */
export function resourceListToJson(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...list.keys()].sort(goCompare)) out[name] = list.get(name)!.toString();
  return out;
}

/** `a + b`, name by name (upstream `quota.Add`). */
export function addResourceLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [name, q] of b) {
    const prev = out.get(name);
    out.set(name, prev === undefined ? q : prev.add(q));
  }
  return out;
}

const ZERO = new Quantity(0n);

/**
 * `a - b`, never below zero; names only in `b` come out as zero (upstream
 * `quota.SubtractWithNonNegativeResult`).
 */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [name, q] of a) {
    const other = b.get(name);
    const diff = other === undefined ? q : q.sub(other);
    out.set(name, diff.sign() < 0 ? ZERO : diff);
  }
  for (const name of b.keys()) if (!out.has(name)) out.set(name, ZERO);
  return out;
}

/** The entries of `list` whose names are in `names` (upstream `quota.Mask`). */
export function maskResourceList(list: ResourceList, names: Iterable<string>): ResourceList {
  const keep = names instanceof Set ? names : new Set(names);
  const out: ResourceList = new Map();
  for (const [name, q] of list) if (keep.has(name)) out.set(name, q);
  return out;
}

/** `list` without zero quantities (upstream `quota.RemoveZeros`). */
export function removeZeros(list: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [name, q] of list) if (!q.isZero()) out.set(name, q);
  return out;
}

/** The names whose quantity is negative (upstream `quota.IsNegative`). */
export function negativeNames(list: ResourceList): string[] {
  return [...list].filter(([, q]) => q.sign() < 0).map(([name]) => name);
}

/**
 * The names in both lists where `a` exceeds `b` (upstream `quota.LessThanOrEqual`'s second
 * result); empty when `a <= b` everywhere they overlap.
 */
export function exceededNames(a: ResourceList, b: ResourceList): string[] {
  const out: string[] = [];
  for (const [name, limit] of b) {
    const value = a.get(name);
    if (value !== undefined && value.cmp(limit) > 0) out.push(name);
  }
  return out;
}

/** Same names and equal quantities (upstream `quota.Equals`). */
export function resourceListsEqual(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [name, q] of a) {
    const other = b.get(name);
    if (other === undefined || other.cmp(q) !== 0) return false;
  }
  return true;
}

/** For every name in `b`, the larger of the two quantities, written into `into`. */
export function maxInto(into: ResourceList, b: ResourceList): void {
  for (const [name, q] of b) {
    const prev = into.get(name);
    if (prev === undefined || q.cmp(prev) > 0) into.set(name, q);
  }
}

/** Go's byte-wise string order, as `sort.Strings`. */
export function goCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `cpu=1,pods=2`: names sorted, as upstream's quota `prettyPrint`. */
export function prettyPrint(list: ResourceList): string {
  return [...list.keys()].sort(goCompare).map((name) => `${name}=${list.get(name)}`).join(",");
}

/** `a,b`: names sorted, as upstream's `prettyPrintResourceNames`. */
export function prettyPrintNames(names: Iterable<string>): string {
  return [...names].sort(goCompare).join(",");
}
