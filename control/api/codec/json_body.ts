/**
 * Request bodies in JSON: parsed with `JSON.parse` (native and fast), plus one scan of the text
 * that finds duplicate keys, which `JSON.parse` silently resolves (last wins) but Kubernetes'
 * strict decoding reports (`duplicate field "spec.replicas"`), and that bounds the nesting depth
 * as Go's decoder does. Malformed JSON fails with Go's scanner message, which the API server
 * quotes in its errors.
 *
 * @example Find a duplicate field
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonBody } from "./json_body.ts";
 *
 * const { value, duplicates } = parseJsonBody('{"spec":{"replicas":1,"replicas":2}}');
 * assert.deepEqual(value, { spec: { replicas: 2 } });
 * assert.deepEqual(duplicates, ["spec.replicas"]);
 * ```
 *
 * @module
 */
import { findJsonSyntaxError, goQuoteChar } from "./_json_syntax.ts";

/** Go's `encoding/json` nesting limit (`maxNestingDepth`), which the API server inherits. */
export const MAX_JSON_DEPTH = 10_000;

/** One duplicated key, with what is needed to report it in document order. */
export interface DuplicateField {
  /** The field path as Kubernetes prints it: `spec.replicas`, `spec.containers[0].name`. */
  readonly path: string;
  /** The path of the object holding the key (`""` at the top level). */
  readonly parent: string;
  /** The duplicated key. */
  readonly key: string;
  /**
   * The key of the same object first seen most recently before the duplicate: a decoder walking
   * the parsed object (whose keys are in first-seen order) reports the duplicate right after
   * that key, which is where Go's decoder meets it.
   */
  readonly after: string;
}

/** A parsed request body. */
export interface ParsedBody {
  /** The value; for duplicate keys the last one wins, as in Go. */
  readonly value: unknown;
  /** Paths of duplicated keys in document order (`spec.replicas`), each once. */
  readonly duplicates: string[];
  /** The duplicates with their positions, for {@linkcode DecodeOptions}' ordering. */
  readonly duplicateFields: DuplicateField[];
}

/** Options of {@linkcode parseJsonBody}. */
export interface ParseJsonOptions {
  /**
   * Deepest nesting of objects and arrays accepted.
   *
   * @default {MAX_JSON_DEPTH}
   */
  readonly maxDepth?: number;
}

/** A malformed body: the message is Go's, `offset` the character where it went wrong. */
export class JsonSyntaxError extends SyntaxError {
  /** The character offset of the error. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = "JsonSyntaxError";
    this.offset = offset;
  }
}

/**
 * Parses a JSON request body, reporting duplicate keys.
 *
 * @throws {JsonSyntaxError} (a `SyntaxError`) when the text is not JSON or nests too deep.
 */
export function parseJsonBody(text: string, options: ParseJsonOptions = {}): ParsedBody {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const err = findJsonSyntaxError(text, maxDepth);
    throw err
      ? new JsonSyntaxError(err.message, err.offset)
      : new JsonSyntaxError("unexpected end of JSON input", text.length);
  }
  const duplicateFields = scanDuplicates(text, maxDepth);
  const duplicates: string[] = [];
  const seen = new Set<string>();
  for (const d of duplicateFields) {
    if (!seen.has(d.path)) {
      seen.add(d.path);
      duplicates.push(d.path);
    }
  }
  return { value, duplicates, duplicateFields };
}

const OBJECT = 0;
const ARRAY = 1;
/** Objects with more keys than this switch from a list to a Set to find duplicates. */
const SMALL_OBJECT = 12;

/** The path of the value being read at `depth` (Kubernetes' form: `a.b[0].c`). */
function pathTo(
  kinds: readonly number[],
  keys: readonly string[],
  indexes: readonly number[],
  depth: number,
): string {
  let path = "";
  for (let d = 0; d < depth; d++) {
    if (kinds[d] === OBJECT) path = path === "" ? keys[d]! : `${path}.${keys[d]}`;
    else path = `${path}[${indexes[d]}]`;
  }
  return path;
}

/**
 * Walks well-formed JSON (it runs after `JSON.parse` succeeded) and returns its duplicate
 * keys; throws when nesting exceeds `maxDepth`. Strings are skipped with `indexOf`, so the
 * cost is one pass over the structural characters.
 */
function scanDuplicates(text: string, maxDepth: number): DuplicateField[] {
  const out: DuplicateField[] = [];
  const kinds: number[] = [];
  const keys: string[] = []; // current key, per object frame
  const indexes: number[] = []; // current index, per array frame
  const expectKey: boolean[] = [];
  const lists: string[][] = []; // keys seen, per object frame (reused by depth)
  const sets: (Set<string> | null)[] = [];
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = text.indexOf('"', i + 1);
      for (;;) {
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if (((j - 1 - k) & 1) === 0) break;
        j = text.indexOf('"', j + 1);
      }
      const d = depth - 1;
      if (d >= 0 && kinds[d] === OBJECT && expectKey[d]) {
        expectKey[d] = false;
        let key = text.slice(i + 1, j);
        if (key.includes("\\")) key = JSON.parse(text.slice(i, j + 1)) as string;
        const list = lists[d]!;
        let set = sets[d]!;
        let dup: boolean;
        if (set !== null) {
          dup = set.has(key);
          if (!dup) set.add(key);
        } else {
          dup = list.includes(key);
          if (!dup) {
            list.push(key);
            if (list.length > SMALL_OBJECT) sets[d] = set = new Set(list);
          }
        }
        if (dup) {
          const parent = pathTo(kinds, keys, indexes, d);
          const after = set !== null ? lastOf(set) : list[list.length - 1]!;
          out.push({ path: parent === "" ? key : `${parent}.${key}`, parent, key, after });
        }
        keys[d] = key;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth >= maxDepth) {
        throw new JsonSyntaxError(
          `invalid character ${goQuoteChar(text, i)} exceeded max depth`,
          i,
        );
      }
      if (c === 0x7b) {
        kinds[depth] = OBJECT;
        expectKey[depth] = true;
        if (lists[depth] === undefined) lists[depth] = [];
        else lists[depth]!.length = 0;
        sets[depth] = null;
      } else {
        kinds[depth] = ARRAY;
        indexes[depth] = 0;
      }
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c) {
      const d = depth - 1;
      if (kinds[d] === OBJECT) expectKey[d] = true;
      else indexes[d]!++;
    }
  }
  return out;
}

/** The key added last to a Set (insertion order). */
function lastOf(set: Set<string>): string {
  let last = "";
  for (const k of set) last = k;
  return last;
}
