/**
 * What the kubelet sends to `nodes/<name>/status`: a two-way strategic merge patch from the
 * Node it read to the Node it wants (upstream `nodeutil.PatchNodeStatus`), and the test of
 * whether a status changed at all when heartbeat times are ignored (upstream
 * `nodeStatusHasChanged`, quantities compared by value).
 *
 * The patch carries changed map keys (`null` for removed ones), whole values for atomic lists,
 * and for `status.conditions` (merged by `type`) only the changed conditions, deletions as
 * `$patch: delete` and the order as `$setElementOrder/conditions`. `status.addresses` is
 * declared mergeable by `type` although its types repeat (two `InternalIP`s on a dual-stack
 * node), so a changed list is sent whole with a `$patch: replace` element.
 *
 * @module
 */
import { Quantity } from "../../control/api/types/quantity.ts";
import type { Node, NodeStatus } from "../../control/api/types/core_v1_node.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Lists merged by a key: path → merge key. */
const MERGE_LISTS: Readonly<Record<string, string>> = { "status.conditions": "type" };
/** Mergeable lists sent whole, replacing the stored one. */
const REPLACED_LISTS = new Set(["status.addresses"]);

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => equal(a[k], b[k]));
  }
  return false;
}

function diffList(path: string, key: string, a: Json[], b: Json[]): JsonObject {
  const field = path.slice(path.lastIndexOf(".") + 1);
  const keyOf = (x: Json): Json => (isObject(x) ? x[key] ?? null : null);
  const out: Json[] = [];
  for (const nb of b) {
    const na = a.find((x) => keyOf(x) === keyOf(nb));
    if (na === undefined || !isObject(na) || !isObject(nb)) {
      out.push(nb);
      continue;
    }
    const d = diffObject(path, na, nb);
    if (Object.keys(d).length > 0) out.push({ [key]: keyOf(nb), ...d });
  }
  for (const na of a) {
    if (!b.some((x) => keyOf(x) === keyOf(na))) out.push({ [key]: keyOf(na), $patch: "delete" });
  }
  if (out.length === 0) return {};
  return {
    [`$setElementOrder/${field}`]: b.map((x) => ({ [key]: keyOf(x) })),
    [field]: out,
  };
}

function diffObject(path: string, a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, vb] of Object.entries(b)) {
    if (vb === undefined) continue;
    const va = a[k];
    if (equal(va, vb)) continue;
    const p = path === "" ? k : `${path}.${k}`;
    if (isObject(va) && isObject(vb)) {
      const d = diffObject(p, va, vb);
      if (Object.keys(d).length > 0) out[k] = d;
    } else if (Array.isArray(va) && Array.isArray(vb) && MERGE_LISTS[p] !== undefined) {
      Object.assign(out, diffList(p, MERGE_LISTS[p], va, vb));
    } else if (Array.isArray(vb) && REPLACED_LISTS.has(p)) {
      out[k] = [...vb, { $patch: "replace" }];
    } else {
      out[k] = vb;
    }
  }
  for (const k of Object.keys(a)) {
    if (a[k] !== undefined && b[k] === undefined) out[k] = null;
  }
  return out;
}

/**
 * The strategic merge patch taking `before` to `after` (metadata and status; the spec is
 * never patched through `status`); `{}` when they are equal.
 */
export function nodeStatusPatch(before: Node, after: Node): Record<string, unknown> {
  const a = JSON.parse(JSON.stringify({ ...before, spec: undefined })) as JsonObject;
  const b = JSON.parse(JSON.stringify({ ...after, spec: undefined })) as JsonObject;
  return diffObject("", a, b);
}

function quantitiesEqual(a?: Record<string, string>, b?: Record<string, string>): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) {
    const vx = x[k];
    const vy = y[k];
    if (vx === undefined || vy === undefined) return false;
    if (vx !== vy && Quantity.parse(vx).cmp(Quantity.parse(vy)) !== 0) return false;
  }
  return true;
}

/** Whether two statuses differ in anything but conditions' `lastHeartbeatTime`. */
export function nodeStatusChanged(a: NodeStatus | undefined, b: NodeStatus | undefined): boolean {
  if (a === undefined || b === undefined) return a !== b;
  const strip = (s: NodeStatus) =>
    JSON.parse(JSON.stringify({
      ...s,
      capacity: undefined,
      allocatable: undefined,
      conditions: (s.conditions ?? []).map((c) => ({ ...c, lastHeartbeatTime: undefined })),
    }));
  if (!quantitiesEqual(a.capacity, b.capacity)) return true;
  if (!quantitiesEqual(a.allocatable, b.allocatable)) return true;
  return !equal(strip(a), strip(b));
}
