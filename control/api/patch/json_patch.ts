/**
 * JSON patch (RFC 6902), as the API server applies `application/json-patch+json`
 * (`kubectl patch --type=json`) with `gopkg.in/evanphx/json-patch.v4`, whose behaviour differs
 * from the RFC and from `fast-json-patch` in ways clients can see:
 *
 * - `add` needs every parent to exist (no `EnsurePathExistsOnAdd`); `-` appends to an array.
 * - `remove` of a missing key or index fails (no `AllowMissingPathOnRemove`).
 * - `replace` of a missing object key succeeds and sets it; of a missing index fails.
 * - `copy` from a missing object key copies `null`; `move` from one fails.
 * - `test` of a missing key passes when the value is `null`; arrays and objects compare
 *   structurally.
 * - Array indices are read as Go's `strconv.Atoi` does: leading zeros (`01`) and a sign (`+1`)
 *   are accepted, and negative indices count from the end (`SupportNegativeIndices`).
 * - A path without a leading `/` has its first segment ignored (`a/b` is `/b`); the empty path
 *   works only for `replace` (with an object or array; another value leaves the document as is)
 *   and `test`.
 * - `~1` and `~0` are unescaped (RFC 6901, with `fast-json-patch`'s `unescapePathComponent`).
 *
 * Upstream limits: more than 10000 operations is 413 (`maxJSONPatchOperations`), and `copy`
 * operations may add at most 3 MiB in all (`JSONPatchMaxCopyBytes`). The body is first strictly
 * decoded into `{op, path, from: string, value}` operations (the default `fieldValidation=Warn`
 * does it), so a body that is not an array of such objects is 400; any failing operation is 422
 * with upstream's generic message (see `patch_error.ts`).
 *
 * Neither argument is changed; the result shares nothing with them.
 *
 * @example Replace an image, guarded by a test
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyJsonPatch } from "./json_patch.ts";
 *
 * const doc = { spec: { containers: [{ name: "web", image: "nginx:1.26" }] } };
 * const out = applyJsonPatch(doc, [
 *   { op: "test", path: "/spec/containers/0/name", value: "web" },
 *   { op: "replace", path: "/spec/containers/0/image", value: "nginx:1.27" },
 * ]);
 * assert.deepEqual(out, { spec: { containers: [{ name: "web", image: "nginx:1.27" }] } });
 * ```
 *
 * @module
 */
import { unescapePathComponent } from "fast-json-patch";
import { goJsonKind } from "./_go_format.ts";
import {
  cloneJson,
  deeperThan,
  getOwn,
  hasOwn,
  isObject,
  jsonByteLength,
  jsonEqual,
  type JsonObject,
  MAX_PATCH_DEPTH,
  setOwn,
} from "./_json.ts";
import { MAX_JSON_PATCH_OPERATIONS, PatchError } from "./patch_error.ts";

/** The most bytes `copy` operations may add to a document (upstream's `JSONPatchMaxCopyBytes`). */
export const MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024;

/**
 * The deepest document a JSON patch may produce: Go's decoder limit, which the API server's
 * decoding of the patched object enforces.
 */
const MAX_DOCUMENT_DEPTH = 10_000;

type Container = JsonObject | unknown[];

/** A failed operation: upstream answers 422 and keeps this text to itself. */
class OperationError extends Error {}

/** `strconv.Atoi`: an optional sign and decimal digits, leading zeros allowed. */
function atoi(key: string): number | null {
  return /^[+-]?[0-9]+$/.test(key) ? Number(key) : null;
}

/** The value at `key` of an array, with negative indices counting from the end. */
function arrayIndex(arr: unknown[], key: string): number {
  const idx = atoi(key);
  if (idx === null) throw new OperationError(`strconv.Atoi: parsing "${key}": invalid syntax`);
  if (idx >= arr.length || idx < -arr.length) {
    throw new OperationError(`Unable to access invalid index: ${idx}: invalid index referenced`);
  }
  return idx < 0 ? idx + arr.length : idx;
}

/** evanphx's `container.get`: an absent object key is `undefined`, never an error. */
function get(con: Container, key: string): unknown {
  if (Array.isArray(con)) return con[arrayIndex(con, key)];
  return getOwn(con, key);
}

/** evanphx's `findObject`: the container holding the last segment of `path`, and that key. */
function findObject(root: Container, path: string): [Container, string] | null {
  const split = path.split("/");
  if (split.length < 2) return null;
  let con: Container = root;
  for (let i = 1; i < split.length - 1; i++) {
    let next: unknown;
    try {
      next = get(con, unescapePathComponent(split[i]!));
    } catch {
      return null;
    }
    if (typeof next !== "object" || next === null) return null;
    con = next as Container;
  }
  return [con, unescapePathComponent(split[split.length - 1]!)];
}

function add(con: Container, key: string, value: unknown): void {
  if (!Array.isArray(con)) {
    setOwn(con, [key, value]);
    return;
  }
  if (key === "-") {
    con.push(value);
    return;
  }
  const idx = atoi(key);
  if (idx === null) {
    throw new OperationError(`value was not a proper array index: '${key}'`);
  }
  const size = con.length + 1;
  if (idx >= size || idx < -size) {
    throw new OperationError(`Unable to access invalid index: ${idx}: invalid index referenced`);
  }
  con.splice(idx < 0 ? idx + size : idx, 0, value);
}

function remove(con: Container, key: string): void {
  if (Array.isArray(con)) {
    con.splice(arrayIndex(con, key), 1);
    return;
  }
  if (!hasOwn(con, key)) {
    throw new OperationError(`Unable to remove nonexistent key: ${key}: missing value`);
  }
  delete con[key];
}

/** A string member of an operation, `undefined` when absent or `null`. */
function member(op: JsonObject, name: string): string | undefined {
  const v = getOwn(op, name);
  return typeof v === "string" ? v : undefined;
}

function required(op: JsonObject, name: "path" | "from"): string {
  const v = member(op, name);
  if (v === undefined) throw new OperationError(`operation missing ${name} field: missing value`);
  return v;
}

function locate(doc: Container, path: string, what: string): [Container, string] {
  const found = findObject(doc, path);
  if (found === null) {
    throw new OperationError(`${what} does not apply: doc is missing path: "${path}"`);
  }
  return found;
}

/** The state of one patch application. */
interface State {
  doc: Container;
  copiedBytes: number;
}

function applyOperation(state: State, op: JsonObject): void {
  const kind = member(op, "op") ?? "unknown";
  const value = getOwn(op, "value");
  switch (kind) {
    case "add": {
      const [con, key] = locate(state.doc, required(op, "path"), "add operation");
      add(con, key, cloneJson(value ?? null));
      return;
    }
    case "remove": {
      const [con, key] = locate(state.doc, required(op, "path"), "remove operation");
      remove(con, key);
      return;
    }
    case "replace": {
      const path = required(op, "path");
      if (path === "") {
        if (typeof value === "object" && value !== null) state.doc = cloneJson(value) as Container;
        return;
      }
      const [con, key] = locate(state.doc, path, "replace operation");
      if (Array.isArray(con)) con[arrayIndex(con, key)] = cloneJson(value ?? null);
      else setOwn(con, [key, cloneJson(value ?? null)]);
      return;
    }
    case "move": {
      const [from, fromKey] = locate(state.doc, required(op, "from"), "move operation");
      const moved = get(from, fromKey);
      remove(from, fromKey);
      const [con, key] = locate(state.doc, required(op, "path"), "move operation");
      add(con, key, moved);
      return;
    }
    case "copy": {
      const [from, fromKey] = locate(state.doc, required(op, "from"), "copy operation");
      const copied = get(from, fromKey) ?? null;
      const [con, key] = locate(state.doc, required(op, "path"), "copy operation");
      state.copiedBytes += jsonByteLength(copied);
      if (state.copiedBytes > MAX_JSON_PATCH_COPY_BYTES) {
        throw new OperationError(
          `Unable to complete the copy, the accumulated size increase of copy is ${state.copiedBytes}, exceeding the limit ${MAX_JSON_PATCH_COPY_BYTES}`,
        );
      }
      add(con, key, cloneJson(copied));
      return;
    }
    case "test": {
      const path = required(op, "path");
      const actual = path === "" ? state.doc : (() => {
        const [con, key] = locate(state.doc, path, "test operation");
        return get(con, key);
      })();
      const expected = value ?? null;
      if ((actual ?? null) === null ? expected !== null : !jsonEqual(actual, expected)) {
        throw new OperationError(`testing value ${path} failed: test failed`);
      }
      return;
    }
    default:
      throw new OperationError(`Unexpected kind: ${kind}`);
  }
}

/** Upstream's strict decoding of the body into `[]jsonPatchOp` (400 on a shape error). */
function checkShape(patch: unknown[]): void {
  for (const op of patch) {
    if (op === null) continue;
    if (!isObject(op)) {
      throw PatchError.badRequest(
        `error decoding patch: json: cannot unmarshal ${
          goJsonKind(op)
        } into Go value of type handlers.jsonPatchOp`,
      );
    }
    for (const name of ["op", "path", "from"]) {
      const v = getOwn(op, name);
      if (v !== undefined && v !== null && typeof v !== "string") {
        throw PatchError.badRequest(
          `error decoding patch: json: cannot unmarshal ${
            goJsonKind(v)
          } into Go struct field jsonPatchOp.${name} of type string`,
        );
      }
    }
  }
}

/**
 * Applies the JSON patch `patch` (an array of operations) to `doc`. Throws a
 * {@linkcode PatchError}: 400 for a body of the wrong shape or nesting too deep, 413 past
 * {@linkcode MAX_JSON_PATCH_OPERATIONS} operations, 422 when an operation fails.
 */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  if (patch === null) return cloneJson(doc);
  if (!Array.isArray(patch)) {
    throw PatchError.badRequest(
      `error decoding patch: json: cannot unmarshal ${
        goJsonKind(patch)
      } into Go value of type []handlers.jsonPatchOp`,
    );
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) throw PatchError.tooManyOperations(patch.length);
  checkShape(patch);
  if (deeperThan(patch, MAX_PATCH_DEPTH)) throw PatchError.badRequest("exceeded max depth");
  if (typeof doc !== "object" || doc === null) {
    throw new TypeError(`Cannot apply a JSON patch to ${goJsonKind(doc)}: expected an object`);
  }
  const state: State = { doc: cloneJson(doc) as Container, copiedBytes: 0 };
  for (const op of patch) {
    try {
      applyOperation(state, (op ?? {}) as JsonObject);
    } catch (err) {
      if (err instanceof OperationError) throw PatchError.rejected(err.message);
      throw err;
    }
  }
  if (deeperThan(state.doc, MAX_DOCUMENT_DEPTH)) {
    throw PatchError.rejected("the patched document nests too deep");
  }
  return state.doc;
}
