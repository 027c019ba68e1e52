/**
 * Request bodies in YAML (`application/yaml`), converted to JSON values as Kubernetes'
 * `sigs.k8s.io/yaml` does: plain scalars resolve by YAML 1.1 rules as go-yaml v2 resolves them
 * (`yes`/`on` are booleans, `0777` is octal, `1e3` a number, timestamps stay strings), keys
 * become strings, and object keys come out sorted (Go marshals maps sorted, which decides the
 * order of unknown-field errors). Duplicate keys are reported, not thrown, in go-yaml's words
 * (`line 5: key "name" already set in map`); the last value wins, as upstream's data path.
 *
 * @example Parse a manifest with a duplicate key
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseYamlBody } from "./yaml_body.ts";
 *
 * const body = parseYamlBody("kind: Pod\nspec:\n  hostNetwork: yes\n  hostNetwork: no\n");
 * assert.deepEqual(body.value, { kind: "Pod", spec: { hostNetwork: false } });
 * assert.deepEqual(body.duplicates, ["spec.hostNetwork"]);
 * assert.deepEqual(body.yamlErrors, ['line 4: key "hostNetwork" already set in map']);
 * ```
 *
 * @module
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseAllDocuments,
  Scalar,
} from "yaml";
import { MAX_JSON_DEPTH, type ParsedBody } from "./json_body.ts";

/** A parsed YAML body. */
export interface ParsedYamlBody extends ParsedBody {
  /**
   * go-yaml's duplicate-key errors in document order (`line 5: key "name" already set in
   * map`). Kubernetes reports them as one strict decoding error, `yaml: unmarshal errors:` and
   * these lines, and warns with each line under `fieldValidation=Warn`.
   */
  readonly yamlErrors: string[];
}

/** Upper bound on nodes reached through aliases (go-yaml too refuses "excessive aliasing"). */
const MAX_ALIASED_NODES = 100_000;

interface Walk {
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  readonly duplicates: string[];
  readonly yamlErrors: string[];
  /** Nodes visited inside aliases. */
  aliased: number;
  /** How many aliases the walk is inside. */
  inAlias: number;
}

function lineOf(w: Walk, node: YamlNode | null | undefined): number {
  const offset = node?.range?.[0] ?? 0;
  return w.lines.linePos(offset).line;
}

function yamlError(message: string): SyntaxError {
  return new SyntaxError(`error converting YAML to JSON: ${message}`);
}

/** go-yaml v2's booleans and nulls by spelling. */
const RESOLVE_MAP: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ...["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"].map(
    (s) => [s, true] as const,
  ),
  ...["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"].map(
    (s) => [s, false] as const,
  ),
  ...["", "~", "null", "Null", "NULL"].map((s) => [s, null] as const),
  ...[".nan", ".NaN", ".NAN"].map((s) => [s, Number.NaN] as const),
  ...[".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"].map((s) => [s, Infinity] as const),
  ...["-.inf", "-.Inf", "-.INF"].map((s) => [s, -Infinity] as const),
]);

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_INT = /^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/;

/** Go's `strconv.ParseInt(s, 0, 64)` then `ParseUint`, as a JavaScript number, or null. */
function goParseInt(s: string): number | null {
  if (!GO_INT.test(s)) return null;
  const negative = s[0] === "-";
  let body = s[0] === "-" || s[0] === "+" ? s.slice(1) : s;
  if (/^0[0-7]/.test(body)) body = `0o${body.slice(1)}`;
  else if (/^0[oO]/.test(body)) body = `0o${body.slice(2)}`;
  const n = BigInt(body);
  const signed = negative ? -n : n;
  // int64, or (without a sign) uint64.
  return signed < -(1n << 63n) || signed >= 1n << 64n ? null : Number(signed);
}

/** How go-yaml v2 resolves an untagged plain scalar. */
function resolvePlain(s: string): unknown {
  const mapped = RESOLVE_MAP.get(s);
  if (mapped !== undefined || RESOLVE_MAP.has(s)) return mapped;
  const c = s[0];
  if (c === ".") {
    return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) ? Number(s) : s;
  }
  if (c !== undefined && (c === "+" || c === "-" || (c >= "0" && c <= "9"))) {
    const plain = s.replaceAll("_", "");
    const int = goParseInt(plain);
    if (int !== null) return int;
    if (YAML_FLOAT.test(plain)) return Number(plain);
  }
  return s;
}

function scalarValue(node: Scalar): unknown {
  const raw = String(node.value ?? "");
  const tag = node.tag;
  if (tag === "tag:yaml.org,2002:str" || tag === "!!str") return raw;
  if (tag === "tag:yaml.org,2002:binary" || tag === "!!binary") {
    return new TextDecoder().decode(
      Uint8Array.from(atob(raw.replace(/\s+/g, "")), (ch) => ch.charCodeAt(0)),
    );
  }
  if (node.type !== Scalar.PLAIN && tag === undefined) return raw;
  return resolvePlain(raw);
}

/** A map key as sigs.k8s.io/yaml writes it into JSON. */
function keyString(key: unknown): string {
  if (typeof key === "string") return key;
  if (typeof key === "boolean") return String(key);
  if (typeof key === "number") {
    if (Number.isNaN(key)) return ".nan";
    if (key === Infinity) return ".inf";
    if (key === -Infinity) return "-.inf";
    return String(key);
  }
  throw yamlError(`unsupported map key of type: ${key === null ? "nil" : typeof key}`);
}

/** go-yaml's `%#v` of a key. */
function goSyntax(key: unknown): string {
  return typeof key === "string" ? JSON.stringify(key) : String(key);
}

function childPath(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function toJson(w: Walk, node: unknown, path: string, depth: number): unknown {
  if (w.inAlias > 0 && ++w.aliased > MAX_ALIASED_NODES) {
    throw yamlError("yaml: document contains excessive aliasing");
  }
  if (depth > MAX_JSON_DEPTH) throw yamlError("yaml: exceeded max depth of 10000");
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = node.resolve(w.doc);
    if (target === undefined) throw yamlError(`yaml: unknown anchor '${node.source}' referenced`);
    w.inAlias++;
    try {
      return toJson(w, target, path, depth + 1);
    } finally {
      w.inAlias--;
    }
  }
  if (isScalar(node)) {
    const v = scalarValue(node);
    if (typeof v === "number" && !Number.isFinite(v)) {
      throw yamlError(
        `json: unsupported value: ${Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf"}`,
      );
    }
    return v;
  }
  if (isSeq(node)) {
    return node.items.map((item, i) => toJson(w, item, `${path}[${i}]`, depth + 1));
  }
  if (isMap(node)) {
    const entries = new Map<string, unknown>();
    const explicit = new Map<unknown, true>();
    const merged: Map<string, unknown>[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const key = isScalar(keyNode) ? scalarValue(keyNode) : toJson(w, keyNode, path, depth + 1);
      if (key === "<<" && isScalar(keyNode) && keyNode.type === Scalar.PLAIN) {
        merged.push(mergeSource(w, pair.value, path, depth));
        continue;
      }
      const name = keyString(key);
      const value = toJson(w, pair.value, childPath(path, name), depth + 1);
      const identity = typeof key === "string" ? `s:${key}` : `${typeof key}:${String(key)}`;
      if (explicit.has(identity)) {
        w.yamlErrors.push(
          `line ${lineOf(w, (pair.value as YamlNode | null) ?? keyNode)}: key ${
            goSyntax(key)
          } already set in map`,
        );
        w.duplicates.push(childPath(path, name));
      }
      explicit.set(identity, true);
      entries.set(name, value);
    }
    for (const source of merged) {
      for (const [k, v] of source) if (!entries.has(k)) entries.set(k, v);
    }
    const out: Record<string, unknown> = {};
    for (const k of [...entries.keys()].sort()) setKey(out, k, entries.get(k));
    return out;
  }
  throw yamlError("yaml: unsupported node");
}

/** The entries a merge key (`<<: *base` or `<<: [*a, *b]`) brings in; earlier ones win. */
function mergeSource(w: Walk, value: unknown, path: string, depth: number): Map<string, unknown> {
  const sources = isSeq(value) ? value.items : [value];
  const out = new Map<string, unknown>();
  for (const source of sources) {
    const v = toJson(w, source, path, depth + 1);
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw yamlError("yaml: map merge requires map or sequence of maps as the value");
    }
    for (const [k, x] of Object.entries(v)) if (!out.has(k)) out.set(k, x);
  }
  return out;
}

/** Sets `key`, including `__proto__`, as an own property. */
function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}

function isEmptyDocument(doc: Document.Parsed): boolean {
  const c = doc.contents;
  return c === null || (isScalar(c) && c.source === "" && c.type === Scalar.PLAIN);
}

/**
 * Parses a YAML request body holding one document.
 *
 * @throws {SyntaxError} when the text is not YAML, holds several documents, or cannot be
 *   written as JSON.
 */
export function parseYamlBody(text: string): ParsedYamlBody {
  const lines = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = [...parseAllDocuments(text, {
      schema: "failsafe",
      uniqueKeys: false,
      merge: false,
      lineCounter: lines,
      prettyErrors: false,
    })] as Document.Parsed[];
  } catch (err) {
    if (err instanceof RangeError) throw yamlError("yaml: exceeded max depth of 10000");
    throw err;
  }
  const first = docs[0];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0].line ?? lines.linePos(error.pos[0]).line;
      const reason = error.message.replace(/ at line \d+, column \d+[\s\S]*$/, "");
      throw yamlError(`yaml: line ${line}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`);
    }
  }
  if (docs.filter((d) => !isEmptyDocument(d)).length > 1) {
    throw new SyntaxError("Cannot decode a YAML body holding more than one document");
  }
  if (first === undefined) {
    return { value: null, duplicates: [], duplicateFields: [], yamlErrors: [] };
  }
  const w: Walk = { doc: first, lines, duplicates: [], yamlErrors: [], aliased: 0, inAlias: 0 };
  let value: unknown;
  try {
    value = isEmptyDocument(first) ? null : toJson(w, first.contents, "", 0);
  } catch (err) {
    if (err instanceof RangeError) throw yamlError("yaml: exceeded max depth of 10000");
    throw err;
  }
  return {
    value,
    duplicates: [...new Set(w.duplicates)],
    // YAML duplicates are reported as go-yaml errors, not as JSON "duplicate field" errors.
    duplicateFields: [],
    yamlErrors: w.yamlErrors,
  };
}
