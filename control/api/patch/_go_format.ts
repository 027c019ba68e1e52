/**
 * Go's `fmt` renderings of decoded JSON values (`map[string]interface{}` trees), because the API
 * server quotes them in patch errors that kubectl prints verbatim
 * (`map: map[image:nginx] does not contain declared merge key: name`).
 *
 * Numbers follow the API server's decoding: integers are `int64`, other numbers `float64`.
 *
 * @module
 */

/** True when Go's decoder (`UnmarshalCaseSensitivePreserveInts`) yields an `int64` for `n`. */
function isGoInt(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63;
}

/** `strconv.FormatFloat(n, 'g', -1, 64)`, which `%v` uses for a `float64`. */
function goFloat(n: number): string {
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const [mantissa = "0", exp = "0"] = n.toExponential().split("e");
  const e = Number(exp);
  if (e < -4 || e >= 6) {
    const sign = e < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  return String(n);
}

function goNumber(n: number): string {
  return isGoInt(n) ? BigInt(n).toString() : goFloat(n);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sortedKeys(m: Record<string, unknown>): string[] {
  return Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `fmt.Sprintf("%v", v)`: `map[a:1 b:[x y]]`, `<nil>`. Map keys sorted, as Go prints them. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return goNumber(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(goValue).join(" ")}]`;
  if (isPlainObject(v)) {
    return `map[${sortedKeys(v).map((k) => `${k}:${goValue(v[k])}`).join(" ")}]`;
  }
  return String(v);
}

/** The Go type a decoded JSON value has, as `reflect.TypeOf(v).String()` prints it. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return "%!s(<nil>)";
  if (typeof v === "string") return "string";
  if (typeof v === "number") return isGoInt(v) ? "int64" : "float64";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "[]interface {}";
  return "map[string]interface {}";
}

/** `fmt.Sprintf("%s", v)`: strings as they are, other scalars as `%!s(int64=1)`. */
export function goString(v: unknown): string {
  if (v === null || v === undefined) return "%!s(<nil>)";
  if (typeof v === "string") return v;
  if (typeof v === "number") return `%!s(${goTypeName(v)}=${goNumber(v)})`;
  if (typeof v === "boolean") return `%!s(bool=${v})`;
  if (Array.isArray(v)) return `[${v.map(goString).join(" ")}]`;
  if (isPlainObject(v)) {
    return `map[${sortedKeys(v).map((k) => `${k}:${goString(v[k])}`).join(" ")}]`;
  }
  return String(v);
}

/**
 * The JSON kind `encoding/json` names in an `UnmarshalTypeError`
 * (`json: cannot unmarshal array into Go value of type …`).
 */
export function goJsonKind(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "array";
  return "object";
}

/** `strconv.Quote(s)` for the common cases (`%q`). */
export function goQuote(s: string): string {
  return JSON.stringify(s)
    .replace(/\\u0007/g, "\\a")
    .replace(/\\u000b/g, "\\v")
    .replace(/\\u00([01][0-9a-f])/g, "\\x$1")
    .replace(/\u007f/g, "\\x7f");
}
