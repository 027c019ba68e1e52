/**
 * Strategic merge patch, as the API server applies `application/strategic-merge-patch+json`
 * (`kubectl apply` of built-in kinds, `patch`, `set image`, `rollout restart`, `edit`):
 * upstream's `StrategicMergeMapPatch` (apimachinery `pkg/util/strategicpatch/patch.go`, v1.33),
 * driven by skiff's schemas instead of Go struct tags.
 *
 * - Objects merge key by key; `null` deletes a key. A key the document lacks takes the patch
 *   value without its `null` members and without maps holding `$patch` (upstream's
 *   `discardNullValuesFromPatch` and `removeDirectives`).
 * - A list whose field has `patchStrategy` `merge` merges: lists of objects by `patchMergeKey`
 *   (a patch item updates the item with the same key, new ones are added), lists of scalars as
 *   sets. Other lists, and fields with strategy `replace`, take the patch value as sent.
 * - `map()` schemas merge by key; where the schema is `any()`, an object with
 *   `preserveUnknownFields` has no field, or no schema is given, there is no patch metadata:
 *   objects merge and lists replace, as upstream does without struct tags (its OpenAPI-driven
 *   `PatchMetaFromOpenAPI` with no schema). A field an object schema does not declare fails with
 *   upstream's `unable to find api field in struct …` when both sides hold an object or a list.
 * - Directives: `$patch: replace | delete` on an object (`merge` is an error there, as
 *   upstream); in a merging list, `{"$patch": "delete", <key>: v}` removes items and
 *   `{"$patch": "replace"}` makes the other patch items the whole list (`merge` is an error);
 *   `$retainKeys` clears the keys it does not list (every non-null patch key must be listed);
 *   `$deleteFromPrimitiveList/<field>` removes scalars; `$setElementOrder/<field>` orders the
 *   merged list. The `retainKeys` strategy itself changes nothing server-side: clients send the
 *   directive.
 * - Order of a merged list: patch items in patch order, each server-only item kept before the
 *   first patch item it preceded in the live list (so new items come before the server items
 *   that follow them: `[a, b] + [c]` is `[c, a, b]`); with `$setElementOrder`, that list's
 *   order, server-only items placed by the same rule. Matching upstream includes the ordering
 *   its in-place slice updates produce when one patch both deletes and adds items of a list
 *   that `$setElementOrder` orders.
 * - Scalars in set lists are de-duplicated with upstream's swapping algorithm.
 *
 * Errors carry upstream's messages and codes (see `patch_error.ts`). Neither `doc` nor the
 * patch is changed; the result shares nothing with them.
 *
 * @example Change one container's image, as `kubectl set image` does
 * ```ts
 * import assert from "node:assert/strict";
 * import { array, field, object, requiredField, string } from "../types/schema.ts";
 * import { applyStrategicMergePatch } from "./strategic_merge_patch.ts";
 *
 * const Container = object("io.k8s.api.core.v1.Container", {
 *   description: "A container.",
 *   fields: {
 *     name: requiredField(string(), { description: "Name." }),
 *     image: field(string(), { description: "Image." }),
 *   },
 * });
 * const PodSpec = object("io.k8s.api.core.v1.PodSpec", {
 *   description: "A pod's spec.",
 *   fields: {
 *     containers: requiredField(array(Container), {
 *       description: "Containers.",
 *       patchStrategy: "merge",
 *       patchMergeKey: "name",
 *     }),
 *   },
 * });
 * const doc = { containers: [{ name: "web", image: "nginx:1.26" }, { name: "log", image: "busybox" }] };
 * const out = applyStrategicMergePatch(doc, {
 *   patch: { containers: [{ name: "web", image: "nginx:1.27" }] },
 *   schema: PodSpec,
 * });
 * assert.deepEqual(out, {
 *   containers: [{ name: "web", image: "nginx:1.27" }, { name: "log", image: "busybox" }],
 * });
 * ```
 *
 * @module
 */
import { type LazySchema, resolve, type Schema } from "../types/schema.ts";
import { goJsonKind, goQuote, goString, goTypeName, goValue } from "./_go_format.ts";
import {
  cloneJson,
  deeperThan,
  hasOwn,
  isObject,
  type JsonObject,
  MAX_PATCH_DEPTH,
  setOwn,
} from "./_json.ts";
import { PatchError } from "./patch_error.ts";

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER = "$setElementOrder";

/** Upstream's `mergepatch` sentinel errors, answered with 400. */
const BAD_PRIMITIVE_LIST = "invalid patch format of primitive list";
const BAD_RETAIN_KEYS = "invalid patch format of retainKeys";
const BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list";

/** The body upstream's panic recovery answers with, for inputs that make its Go code panic. */
const PANIC_MESSAGE = "This request caused apiserver to panic. Look in the logs for details.";

/** Options of {@linkcode applyStrategicMergePatch}. */
export interface StrategicMergePatchOptions {
  /** The patch: a JSON object (`null` changes nothing). */
  readonly patch: unknown;
  /**
   * The schema of the patched document (a kind's object schema); without one, objects merge
   * and lists replace.
   */
  readonly schema?: Schema | undefined;
}

/** Patch metadata of a value: its schema (null: none), strategy and merge key. */
type Meta = Exclude<Schema, LazySchema> | null;

interface PatchMeta {
  readonly schema: Meta;
  /** The strategy other than `retainKeys`: `""`, `"merge"` or `"replace"`. */
  readonly strategy: string;
  readonly mergeKey: string;
}

const NO_META: PatchMeta = { schema: null, strategy: "", mergeKey: "" };

/** A value's kind, standing in for Go's `reflect.TypeOf` when types are compared. */
type Kind = "map" | "slice" | "string" | "number" | "bool" | "nil";

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return "nil";
  if (Array.isArray(v)) return "slice";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "bool";
    default:
      return "map";
  }
}

function metaOf(schema: Schema): Meta {
  const s = resolve(schema);
  return s.type === "any" ? null : s;
}

/** The Go kind of the type a schema stands for, as upstream's messages name it. */
function goKind(s: Meta): string {
  if (s === null) return "interface";
  switch (s.type) {
    case "object":
      return "struct";
    case "map":
      return "map";
    case "array":
    case "bytes":
      return "slice";
    case "string":
      return "string";
    case "integer":
      return s.format;
    case "number":
      return "float64";
    case "boolean":
      return "bool";
    default:
      return "struct";
  }
}

/** `extractRetainKeysPatchStrategy`: the strategy besides `retainKeys`. */
function strategyOf(patchStrategy: string | undefined): string {
  if (patchStrategy === undefined || patchStrategy === "") return "";
  const parts = patchStrategy.split(",");
  if (parts.length === 1) return parts[0] === "retainKeys" ? "" : parts[0]!;
  if (parts.length === 2) {
    if (parts[0] === "retainKeys") return parts[1]!;
    if (parts[1] === "retainKeys") return parts[0]!;
  }
  throw PatchError.serverError(`unexpected patch strategy: [${parts.join(" ")}]`);
}

/** `LookupPatchMetadataForStruct`: the metadata of field `key` of the map `parent` describes. */
function lookupStruct(parent: Meta, key: string): PatchMeta {
  if (parent === null) return NO_META;
  switch (parent.type) {
    case "object": {
      const f = Object.hasOwn(parent.fields, key) ? parent.fields[key] : undefined;
      if (f === undefined) {
        if (parent.preserveUnknownFields) return NO_META;
        const name = parent.name.slice(parent.name.lastIndexOf(".") + 1);
        throw PatchError.serverError(
          `unable to find api field in struct ${name} for the json field ${goQuote(key)}`,
        );
      }
      return {
        schema: metaOf(f.schema),
        strategy: strategyOf(f.patchStrategy),
        mergeKey: f.patchMergeKey ?? "",
      };
    }
    case "map":
      return { schema: metaOf(parent.values), strategy: "", mergeKey: "" };
    default:
      throw PatchError.serverError(
        `merging an object in json but data type is not map or struct, instead is: ${
          goKind(parent)
        }`,
      );
  }
}

/** `LookupPatchMetadataForSlice`: the metadata of list field `key`, with its item schema. */
function lookupSlice(parent: Meta, key: string): PatchMeta {
  const m = lookupStruct(parent, key);
  if (m.schema === null || m.schema.type === "bytes") {
    return m.schema === null ? m : NO_META;
  }
  if (m.schema.type !== "array") {
    throw PatchError.serverError(`expected slice or array type, but got: ${goKind(parent)}`);
  }
  return { schema: metaOf(m.schema.items), strategy: m.strategy, mergeKey: m.mergeKey };
}

// --- upstream's error texts --------------------------------------------------------------------

function noMergeKey(m: unknown, key: string): PatchError {
  return PatchError.serverError(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
}

function badArgType(expected: string, actual: unknown): PatchError {
  return PatchError.serverError(`expected a ${expected}, but received a ${goTypeName(actual)}`);
}

function goPanic(detail: string): PatchError {
  const err = PatchError.serverError(PANIC_MESSAGE);
  err.cause = new Error(detail);
  return err;
}

/** Go's `==` on two decoded JSON values: maps and slices cannot be compared and panic. */
function goEqual(a: unknown, b: unknown): boolean {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    if (Array.isArray(a) === Array.isArray(b)) {
      throw goPanic(`runtime error: comparing uncomparable type ${goTypeName(a)}`);
    }
    return false;
  }
  return (a ?? null) === (b ?? null);
}

/** Throws Go's panic for a value that cannot be a map key. */
function hashable(v: unknown): unknown {
  if (typeof v === "object" && v !== null) {
    throw goPanic(`runtime error: hash of unhashable type ${goTypeName(v)}`);
  }
  return v;
}

// --- new values --------------------------------------------------------------------------------

/**
 * A copy of a patch value a key of the document did not have: `null` members dropped when
 * `dropNulls` (`discardNullValuesFromPatch`), maps holding `$patch` dropped
 * (`removeDirectives`). The second element is false when the value itself is dropped.
 */
function cleanValue(v: unknown, dropNulls: boolean): [unknown, boolean] {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const item of v) {
      const [c, keep] = cleanValue(item, dropNulls);
      if (keep) out.push(c);
    }
    return [out, true];
  }
  if (!isObject(v)) return [v, true];
  if (hasOwn(v, DIRECTIVE) && !(dropNulls && v[DIRECTIVE] === null)) return [null, false];
  const out: JsonObject = {};
  for (const k of Object.keys(v)) {
    const child = v[k];
    if (child === null) {
      if (!dropNulls) setOwn(out, [k, null]);
      continue;
    }
    const [c, keep] = cleanValue(child, dropNulls);
    if (keep) setOwn(out, [k, c]);
  }
  return [out, true];
}

// --- ordering ----------------------------------------------------------------------------------

/** What identifies a list item when ordering: its merge key value for maps, else itself. */
function identity(item: unknown, mergeKey: string, kind: Kind): unknown {
  if (kind !== "map") return item;
  return isObject(item) && hasOwn(item, mergeKey) ? item[mergeKey] ?? null : null;
}

/** The first position of each identity in `list` (upstream's `index`, as a lookup table). */
function positions(list: readonly unknown[], mergeKey: string, kind: Kind): Map<unknown, number> {
  const pos = new Map<unknown, number>();
  list.forEach((item, i) => {
    const id = identity(item, mergeKey, kind);
    if (!pos.has(id)) pos.set(id, i);
  });
  return pos;
}

function validateMergeKeyInLists(mergeKey: string, lists: readonly (readonly unknown[])[]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isObject(item)) throw badArgType("map[string]interface {}", item);
      if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    }
  }
}

/** `extractToDeleteItems`: the items without, and with, `$patch: delete`. */
function splitDeletes(list: readonly unknown[]): [unknown[], unknown[]] {
  const keep: unknown[] = [];
  const del: unknown[] = [];
  for (const v of list) {
    if (!isObject(v)) throw badArgType("map[string]interface {}", v);
    if (hasOwn(v, DIRECTIVE) && v[DIRECTIVE] === "delete") del.push(v);
    else keep.push(v);
  }
  return [keep, del];
}

/** `normalizeSliceOrder`: `toSort` stably sorted by position in `order`, deletions last. */
function sortByOrder(
  toSort: readonly unknown[],
  order: readonly unknown[],
  mergeKey: string,
  kind: Kind,
): unknown[] {
  let list: readonly unknown[] = toSort;
  let deletions: unknown[] = [];
  if (kind === "map") {
    validateMergeKeyInLists(mergeKey, [toSort, order]);
    [list, deletions] = splitDeletes(toSort);
  }
  const pos = positions(order, mergeKey, kind);
  const keyed = list.map((item) => ({ item, at: pos.get(identity(item, mergeKey, kind)) }));
  keyed.sort((a, b) => (a.at !== undefined && b.at !== undefined ? a.at - b.at : 0));
  return [...keyed.map((k) => k.item), ...deletions];
}

/**
 * `normalizeElementOrder`: patch items sorted by `patchOrder`, server-only items by
 * `serverOrder`, then each server-only item placed before the first patch item it precedes in
 * `serverOrder` (`mergeSortedSlice`).
 */
function normalizeElementOrder(
  patchItems: readonly unknown[],
  serverOnly: readonly unknown[],
  orders: { patch: readonly unknown[]; server: readonly unknown[] },
  meta: { mergeKey: string; kind: Kind },
): unknown[] {
  const { mergeKey, kind } = meta;
  const right = sortByOrder(patchItems, orders.patch, mergeKey, kind);
  const left = sortByOrder(serverOnly, orders.server, mergeKey, kind);
  const pos = positions(orders.server, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const li = pos.get(identity(left[i], mergeKey, kind));
    const ri = pos.get(identity(right[j], mergeKey, kind));
    if (li !== undefined && ri !== undefined && li < ri) out.push(left[i++]);
    else out.push(right[j++]);
  }
  return [...out, ...left.slice(i), ...right.slice(j)];
}

/** Finds maps by merge key value in a list, as `findMapInSliceBasedOnKeyValue` does. */
class KeyIndex {
  readonly #list: unknown[];
  readonly #key: string;
  readonly #first = new Map<unknown, number>();
  #firstNonMap = -1;

  constructor(list: unknown[], key: string) {
    this.#list = list;
    this.#key = key;
    list.forEach((item, i) => this.#note(item, i));
  }

  #note(item: unknown, i: number): void {
    if (!isObject(item)) {
      if (this.#firstNonMap < 0) this.#firstNonMap = i;
      return;
    }
    if (!hasOwn(item, this.#key)) return;
    const v = item[this.#key];
    if (typeof v !== "object" || v === null) {
      if (!this.#first.has(v)) this.#first.set(v, i);
    }
  }

  /** Appends `item` to the list. */
  push(item: unknown): void {
    this.#list.push(item);
    this.#note(item, this.#list.length - 1);
  }

  /** The position of the first map whose merge key is `value`, or -1. */
  find(value: unknown): number {
    let at = -1;
    if (typeof value === "object" && value !== null) {
      at = this.#list.findIndex((item) =>
        isObject(item) && hasOwn(item, this.#key) && goEqual(item[this.#key], value)
      );
    } else {
      at = this.#first.get(value) ?? -1;
    }
    if (this.#firstNonMap >= 0 && (at < 0 || at > this.#firstNonMap)) {
      throw PatchError.serverError(`value for key ${this.#firstNonMap} is not a map.`);
    }
    return at;
  }
}

/** `partitionPrimitivesByPresentInList`: items of `list` present in `by`, and the others. */
function partitionPrimitives(list: readonly unknown[], by: readonly unknown[]): [
  unknown[],
  unknown[],
] {
  const present = new Set(by.map(hashable));
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of list) (present.has(hashable(v)) ? inPatch : serverOnly).push(v);
  return [inPatch, serverOnly];
}

/** `partitionMapsByPresentInList`: maps of `list` whose merge key is found in `by`, and others. */
function partitionMaps(list: readonly unknown[], by: unknown[], mergeKey: string): [
  unknown[],
  unknown[],
] {
  const index = new KeyIndex(by, mergeKey);
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of list) {
    if (!isObject(v)) throw badArgType("map[string]interface {}", v);
    if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    (index.find(v[mergeKey]) >= 0 ? inPatch : serverOnly).push(v);
  }
  return [inPatch, serverOnly];
}

function partition(list: readonly unknown[], by: unknown[], mergeKey: string): [
  unknown[],
  unknown[],
] {
  return mergeKey === "" ? partitionPrimitives(list, by) : partitionMaps(list, by, mergeKey);
}

/** `sliceElementType`: the one kind of every item of both lists. */
function elementKind(a: readonly unknown[], b: readonly unknown[]): Kind {
  let prev: Kind | null = null;
  for (const list of [a, b]) {
    for (const v of list) {
      const k = kindOf(v);
      if (prev === null) {
        if (k === "nil") {
          throw goPanic("runtime error: invalid memory address or nil pointer dereference");
        }
        if (k === "slice") throw PatchError.rejected("lists of lists are not supported");
        prev = k;
      } else if (k !== prev) {
        throw PatchError.serverError(`list element types are not identical: ${goValue([a, b])}`);
      }
    }
  }
  if (prev === null) throw PatchError.serverError("no elements in any of the given slices");
  return prev;
}

/** `deduplicateScalars`, with its swapping (so order-changing) algorithm. */
function deduplicateScalars(s: unknown[]): unknown[] {
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (s[i] === s[j]) {
        s[j] = s[length];
        s.length = length;
        length--;
        j--;
      }
    }
  }
  return s;
}

// --- merging -----------------------------------------------------------------------------------

/** A merged list, and the live list as upstream's in-place updates leave it for ordering. */
interface MergedList {
  readonly merged: unknown[];
  readonly live: readonly unknown[];
}

/**
 * `mergeSlice` of a merging list: `original` (owned) with `patch` merged in. For lists of
 * objects upstream deletes and appends in the live list's backing array; `live` is what its
 * first `original.length` slots then hold (which `$setElementOrder` orders server items by).
 */
function mergeList(
  original: unknown[],
  patch: readonly unknown[],
  meta: PatchMeta,
  isDeleteList: boolean,
): MergedList {
  if (original.length === 0 && patch.length === 0) return { merged: original, live: original };
  const kind = elementKind(original, patch);
  const { mergeKey } = meta;
  if (kind !== "map") {
    if (isDeleteList) {
      const drop = new Set(patch.map(hashable));
      return { merged: original.filter((v) => !drop.has(v)), live: original };
    }
    const merged = deduplicateScalars([...original, ...patch]);
    const [inPatch, serverOnly] = partition(merged, [...patch], mergeKey);
    return {
      merged: normalizeElementOrder(inPatch, serverOnly, { patch, server: original }, {
        mergeKey,
        kind,
      }),
      live: original,
    };
  }
  if (mergeKey === "") {
    throw PatchError.serverError(`cannot merge lists without merge key for ${goKind(meta.schema)}`);
  }

  // mergeSliceWithSpecialElements
  const deleted = new Set<unknown>();
  const deletedObjects: unknown[] = [];
  const plain: JsonObject[] = [];
  let replace = false;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!hasOwn(item, DIRECTIVE)) {
      plain.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === "delete") {
      if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
      const key = item[mergeKey];
      if (typeof key === "object" && key !== null) deletedObjects.push(key);
      else deleted.add(key);
    } else if (directive === "replace") {
      replace = true;
    } else if (directive === "merge") {
      throw PatchError.serverError("merging lists cannot yet be specified in the patch");
    } else {
      throw PatchError.serverError(
        `unknown patch type: ${goString(directive)} in map: ${goValue(item)}`,
      );
    }
  }
  const survivors = deleted.size === 0 && deletedObjects.length === 0
    ? original
    : original.filter((v) => {
      if (!isObject(v) || !hasOwn(v, mergeKey)) return true;
      const key = v[mergeKey];
      if (typeof key === "object" && key !== null) {
        return !deletedObjects.some((d) => goEqual(key, d));
      }
      return !deleted.has(key ?? null);
    });

  // mergeSliceWithoutSpecialElements
  const work: unknown[] = replace ? plain.map(cloneJson) : [...survivors];
  const items: readonly JsonObject[] = replace ? [] : plain;
  const serverOrder = [...work];
  const index = new KeyIndex(work, mergeKey);
  for (const item of items) {
    if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const at = index.find(item[mergeKey]);
    if (at >= 0) work[at] = mergeMap(work[at] as JsonObject, item, meta.schema);
    else index.push(cloneJson(item));
  }
  const appended = work.slice(serverOrder.length);
  const live = survivors === original || replace
    ? survivors
    : [...survivors, ...appended.slice(0, original.length - survivors.length)];

  const [inPatch, serverOnly] = partitionMaps(work, [...items], mergeKey);
  return {
    merged: normalizeElementOrder(inPatch, serverOnly, { patch: items, server: serverOrder }, {
      mergeKey,
      kind,
    }),
    live,
  };
}

/** `extractKey`: the field a `$deleteFromPrimitiveList/…` or `$setElementOrder/…` key names. */
function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf("/");
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw PatchError.badRequest(
      prefix === DELETE_FROM_PRIMITIVE_LIST ? BAD_PRIMITIVE_LIST : BAD_SET_ELEMENT_ORDER,
    );
  }
  return key.slice(slash + 1);
}

/** `handleDirectiveInMergeMap`: a map whose patch holds `$patch`. */
function directiveMap(patch: JsonObject): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === "replace") {
    const out = cloneJson(patch) as JsonObject;
    delete out[DIRECTIVE];
    return out;
  }
  if (directive === "delete") return {};
  throw PatchError.serverError(
    `unknown patch type: ${goString(directive)} in map: ${goValue(patch)}`,
  );
}

/** `applyRetainKeysDirective`. */
function applyRetainKeys(original: JsonObject, patch: JsonObject, done: Set<string>): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  done.add(RETAIN_KEYS);
  const list = patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw PatchError.badRequest(BAD_RETAIN_KEYS);
  const retained = new Set(list.map(hashable));
  for (const k of Object.keys(patch)) {
    if (k === RETAIN_KEYS || patch[k] === null) continue;
    if (k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!retained.has(k)) throw PatchError.badRequest(BAD_RETAIN_KEYS);
  }
  for (const k of Object.keys(original)) if (!retained.has(k)) delete original[k];
}

/** `validatePatchWithSetOrderList`: the patch items appear in the order list, in its order. */
function validateOrder(patchList: readonly unknown[], order: readonly unknown[], mergeKey: string) {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey === "" ? patchList : splitDeletes(patchList)[0];
  const equal = (l: unknown, r: unknown): boolean => {
    if (mergeKey === "") return goEqual(l, r);
    if (!isObject(l)) throw badArgType("map[string]interface {}", l);
    if (!isObject(r)) throw badArgType("map[string]interface {}", r);
    if (!hasOwn(l, mergeKey)) throw noMergeKey(l, mergeKey);
    if (!hasOwn(r, mergeKey)) throw noMergeKey(r, mergeKey);
    return goEqual(l[mergeKey], r[mergeKey]);
  };
  let p = 0;
  let s = 0;
  while (p < items.length && s < order.length) {
    const item = items[p];
    if (isObject(item) && hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (equal(item, order[s])) p++;
    s++;
  }
  if (p < items.length && s >= order.length) {
    throw PatchError.serverError(
      `The order in patch list:\n${
        goValue(patchList)
      }\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goValue(order)}\n`,
    );
  }
}

/** `mergePatchIntoOriginal`: the lists `$setElementOrder/<field>` orders, merged and ordered. */
function mergeOrderedLists(
  original: JsonObject,
  patch: JsonObject,
  schema: Meta,
  done: Set<string>,
): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER) || done.has(key)) continue;
    done.add(key);
    const order = patch[key];
    if (!Array.isArray(order)) throw badArgType("[]interface {}", order);
    const field = extractKey(key, SET_ELEMENT_ORDER);
    const inOriginal = hasOwn(original, field);
    const inPatch = hasOwn(patch, field) && !done.has(field);
    let originalList: unknown[] = [];
    let patchList: unknown[] = [];
    if (inOriginal) {
      const v = original[field];
      if (!Array.isArray(v)) throw badArgType("[]interface {}", v);
      originalList = v;
    }
    if (inPatch) {
      const v = patch[field];
      if (!Array.isArray(v)) throw badArgType("[]interface {}", v);
      patchList = v;
    }
    const meta = lookupSlice(schema, field);
    validateOrder(patchList, order, meta.mergeKey);
    let merged: unknown[];
    let live: readonly unknown[] = originalList;
    if (inOriginal && !inPatch) {
      merged = originalList;
    } else if (!inOriginal && inPatch) {
      merged = cleanValue(patchList, false)[0] as unknown[];
    } else if (inOriginal && inPatch) {
      if (meta.strategy === "merge") {
        ({ merged, live } = mergeList([...originalList], patchList, meta, false));
      } else {
        merged = cloneJson(patchList) as unknown[];
      }
    } else {
      continue;
    }
    const [inOrder, serverOnly] = partition(merged, order, meta.mergeKey);
    const kind = elementKind(originalList, patchList);
    setOwn(original, [
      field,
      normalizeElementOrder(inOrder, serverOnly, { patch: order, server: live }, {
        mergeKey: meta.mergeKey,
        kind,
      }),
    ]);
    done.add(field);
  }
}

/** Sets `original[key]` to a patch value the document did not hold (or held as another type). */
function takeNew(original: JsonObject, key: string, value: unknown): void {
  const [v, keep] = cleanValue(value, true);
  if (keep) setOwn(original, [key, v]);
  else delete original[key];
}

/** `mergeMap`: `patch` merged into `original` (owned, changed in place); returns the result. */
function mergeMap(original: JsonObject, patch: JsonObject, schema: Meta): JsonObject {
  if (hasOwn(patch, DIRECTIVE)) return directiveMap(patch);
  const done = new Set<string>();
  applyRetainKeys(original, patch, done);
  mergeOrderedLists(original, patch, schema, done);
  for (const patchKey of Object.keys(patch)) {
    if (done.has(patchKey)) continue;
    const value = patch[patchKey];
    let key = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (value === null) {
      delete original[key];
      continue;
    }
    if (!hasOwn(original, key) || kindOf(original[key]) !== kindOf(value)) {
      if (!isDeleteList) takeNew(original, key, value);
      continue;
    }
    const current = original[key];
    if (isObject(current)) {
      const meta = lookupStruct(schema, key);
      setOwn(original, [
        key,
        meta.strategy === "replace"
          ? cloneJson(value)
          : mergeMap(current, value as JsonObject, meta.schema),
      ]);
    } else if (Array.isArray(current)) {
      const meta = lookupSlice(schema, key);
      setOwn(original, [
        key,
        meta.strategy === "merge" || isDeleteList
          ? mergeList([...current], value as unknown[], meta, isDeleteList).merged
          : cloneJson(value),
      ]);
    } else {
      setOwn(original, [key, value]);
    }
  }
  return original;
}

/**
 * Applies the strategic merge patch `options.patch` to `doc`, merging lists as
 * `options.schema` (the kind's object schema) says. Throws a {@linkcode PatchError} with
 * upstream's code and message when the patch is malformed.
 */
export function applyStrategicMergePatch(
  doc: unknown,
  options: StrategicMergePatchOptions,
): unknown {
  const { patch } = options;
  if (patch === null) return cloneJson(doc);
  if (!isObject(patch)) {
    throw PatchError.badRequest(
      `json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`,
    );
  }
  if (deeperThan(patch, MAX_PATCH_DEPTH)) throw PatchError.badRequest("exceeded max depth");
  if (!isObject(doc)) {
    throw new TypeError(
      `Cannot apply a strategic merge patch to ${goJsonKind(doc)}: expected an object`,
    );
  }
  const schema = options.schema === undefined ? null : metaOf(options.schema);
  return mergeMap(cloneJson(doc) as JsonObject, patch, schema);
}
