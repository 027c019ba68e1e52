/**
 * JSON values printed as Go's fmt prints the `interface{}` values of an unstructured object,
 * for the few messages of upstream's typed-value validation that include them (`expected
 * string, got &value.valueUnstructured{Value:1}`).
 *
 * @module
 */

function goFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const s = String(n);
  return s.replace(/e\+?(-?)(\d)$/, (_m, sign: string, d: string) => `e${sign || "+"}0${d}`)
    .replace(/e\+?(-?)(\d\d+)$/, (_m, sign: string, d: string) => `e${sign || "+"}${d}`);
}

/** `%v` of a JSON value held in an `interface{}`. */
export function goV(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return goFloat(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(goV).join(" ")}]`;
  const m = v as Record<string, unknown>;
  return `map[${Object.keys(m).sort().map((k) => `${k}:${goV(m[k])}`).join(" ")}]`;
}

/** `%#v` of a JSON value held in an `interface{}`. */
export function goSharpV(v: unknown): string {
  if (v === null || v === undefined) return "interface {}(nil)";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : goFloat(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSharpV).join(", ")}}`;
  const m = v as Record<string, unknown>;
  return `map[string]interface {}{${
    Object.keys(m).sort().map((k) => `${JSON.stringify(k)}:${goSharpV(m[k])}`).join(", ")
  }}`;
}

/** `%T` of a JSON value held in an `interface{}`. */
export function goType(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "string") return "string";
  if (typeof v === "number") return Number.isInteger(v) ? "int64" : "float64";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "[]interface {}";
  return "map[string]interface {}";
}
