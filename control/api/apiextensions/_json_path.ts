/**
 * The JSON paths CRDs name: printer columns (`.spec.replicas`,
 * `.status.conditions[?(@.type=="Ready")].status`), the scale subresource's replica and
 * selector paths and selectable fields — parsed once, evaluated against objects as kubectl's
 * JSONPath templates are (`{<path>}`), keeping the results in document order.
 *
 * Supported: `.field`, `['field']` / `["field"]`, `[n]` (negative from the end), `[*]` and
 * `.*`, and filters `[?(@.a.b == "x")]` with `==`, `!=`, `<`, `<=`, `>`, `>=` against a string,
 * number or boolean literal, or `[?(@.a)]` for presence.
 *
 * @module
 */

type Step =
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "index"; readonly index: number }
  | { readonly kind: "wildcard" }
  | {
    readonly kind: "filter";
    readonly path: readonly string[];
    readonly op: string | null;
    readonly value: unknown;
  };

/** A parsed JSON path. */
export interface JsonPath {
  readonly text: string;
  readonly steps: readonly Step[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const IDENT = /^[A-Za-z0-9_\-$/]+/;

function parseLiteral(text: string): unknown {
  const t = text.trim();
  if (/^'.*'$/s.test(t)) return t.slice(1, -1);
  if (/^".*"$/s.test(t)) return JSON.parse(t);
  if (t === "true") return true;
  if (t === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  throw new SyntaxError(`Cannot parse JSON path literal ${JSON.stringify(text)}`);
}

function parseFilter(body: string): Step {
  const m = /^\s*@((?:\.[A-Za-z0-9_\-$/]+)+)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*$/s.exec(body);
  if (!m) throw new SyntaxError(`Cannot parse JSON path filter ${JSON.stringify(body)}`);
  const path = m[1]!.slice(1).split(".");
  return m[2] === undefined
    ? { kind: "filter", path, op: null, value: undefined }
    : { kind: "filter", path, op: m[2], value: parseLiteral(m[3]!) };
}

/**
 * Parses a JSON path (with or without the surrounding `{…}` of a template).
 *
 * @throws {SyntaxError} when the path has unsupported syntax
 */
export function parseJsonPath(text: string): JsonPath {
  let s = text.trim();
  if (s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1).trim();
  if (s.startsWith("$")) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ".") {
      i++;
      if (s[i] === "*") {
        steps.push({ kind: "wildcard" });
        i++;
        continue;
      }
      const m = IDENT.exec(s.slice(i));
      if (!m) {
        if (i >= s.length && steps.length === 0) break; // "." alone: the object itself
        throw new SyntaxError(`Cannot parse JSON path ${JSON.stringify(text)}`);
      }
      steps.push({ kind: "field", name: m[0] });
      i += m[0].length;
    } else if (c === "[") {
      const close = s.indexOf("]", i);
      if (close < 0) throw new SyntaxError(`Cannot parse JSON path ${JSON.stringify(text)}`);
      let body = s.slice(i + 1, close);
      let end = close;
      if (body.startsWith("?(")) {
        // A filter may contain "]" inside a string literal: find the ")]" that closes it.
        end = s.indexOf(")]", i);
        if (end < 0) throw new SyntaxError(`Cannot parse JSON path ${JSON.stringify(text)}`);
        body = s.slice(i + 3, end);
        steps.push(parseFilter(body));
        i = end + 2;
        continue;
      }
      body = body.trim();
      if (body === "*") steps.push({ kind: "wildcard" });
      else if (/^-?\d+$/.test(body)) steps.push({ kind: "index", index: Number(body) });
      else if (/^'.*'$/s.test(body) || /^".*"$/s.test(body)) {
        steps.push({ kind: "field", name: parseLiteral(body) as string });
      } else throw new SyntaxError(`Cannot parse JSON path ${JSON.stringify(text)}`);
      i = end + 1;
    } else {
      const m = IDENT.exec(s.slice(i));
      if (!m || steps.length > 0 || i > 0) {
        throw new SyntaxError(`Cannot parse JSON path ${JSON.stringify(text)}`);
      }
      steps.push({ kind: "field", name: m[0] });
      i += m[0].length;
    }
  }
  return { text, steps };
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case "==":
      return a === b;
    case "!=":
      return a !== b;
  }
  if (typeof a !== typeof b || (typeof a !== "number" && typeof a !== "string")) return false;
  const x = a as number | string;
  const y = b as number | string;
  return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
}

function dig(v: unknown, path: readonly string[]): { found: boolean; value: unknown } {
  let cur = v;
  for (const p of path) {
    if (!isObject(cur) || !Object.hasOwn(cur, p)) return { found: false, value: undefined };
    cur = cur[p];
  }
  return { found: true, value: cur };
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Object.values(v);
  return [];
}

/** Every value `path` selects in `obj`, in document order. */
export function evaluateJsonPath(path: JsonPath, obj: unknown): unknown[] {
  let current: unknown[] = [obj];
  for (const step of path.steps) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.kind) {
        case "field":
          if (isObject(v) && Object.hasOwn(v, step.name)) next.push(v[step.name]);
          break;
        case "index":
          if (Array.isArray(v)) {
            const i = step.index < 0 ? v.length + step.index : step.index;
            if (i >= 0 && i < v.length) next.push(v[i]);
          }
          break;
        case "wildcard":
          next.push(...children(v));
          break;
        case "filter":
          for (const item of Array.isArray(v) ? v : []) {
            const { found, value } = dig(item, step.path);
            if (!found) continue;
            if (step.op === null || compare(value, step.op, step.value)) next.push(item);
          }
          break;
      }
    }
    current = next;
  }
  return current;
}

/** The dotted field names of a path made only of fields (`.spec.replicas` → `["spec","replicas"]`). */
export function simpleFields(path: string): string[] | null {
  try {
    const parsed = parseJsonPath(path);
    const out: string[] = [];
    for (const s of parsed.steps) {
      if (s.kind !== "field") return null;
      out.push(s.name);
    }
    return out;
  } catch {
    return null;
  }
}

/** Prints a selected value as kubectl's JSONPath printer does (`%v` for scalars, JSON otherwise). */
export function formatJsonPathValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === null || v === undefined) return "<nil>";
  return JSON.stringify(v);
}
