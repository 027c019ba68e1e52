/**
 * `resource.Quantity`: a fixed-point number with a suffix (`"100m"`, `"1.5Gi"`, `"1e3"`), parsed
 * with the grammar and the errors of Kubernetes' `ParseQuantity` and printed in its canonical
 * form (`Quantity.String()`), so objects read back from skiff look as they do from a real API
 * server. Arithmetic is exact (BigInt).
 *
 * @example Canonicalize and compare quantities
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalQuantity, Quantity } from "./quantity.ts";
 *
 * assert.equal(canonicalQuantity("0.5"), "500m");
 * assert.equal(canonicalQuantity("1.5Gi"), "1536Mi");
 * const free = Quantity.parse("2").sub(Quantity.parse("250m"));
 * assert.equal(free.toString(), "1750m");
 * assert.equal(free.milliValue(), 1750n);
 * assert.ok(free.cmp(Quantity.parse("1")) > 0);
 * ```
 *
 * @module
 */

/** How a quantity is printed: `DecimalSI` (`k`, `M`, `m`…), `BinarySI` (`Ki`, `Mi`…) or `e3`. */
export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

/** Options of the {@linkcode Quantity} constructor. */
export interface QuantityOptions {
  /** The power of ten the value is scaled by (`-3` for milli). @default {0} */
  readonly exponent?: number;
  /** @default {"DecimalSI"} */
  readonly format?: QuantityFormat;
}

/** Upstream's `ErrFormatWrong` text. */
export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/** Upstream's `ErrNumeric` text. */
export const QUANTITY_NUMERIC_ERROR = "unable to parse numeric part of quantity";
/** Upstream's `ErrSuffix` text. */
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_SUFFIXES: Readonly<Record<string, number>> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};
const BINARY_BY_POWER = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const SUFFIX_CHARS = "eEinumkKMGTP";

const MAX_INT64 = (1n << 63n) - 1n;
/** Digits that fit any int64 (upstream's `maxInt64Factors`). */
const MAX_INT64_FACTORS = 18;
const NANO = -9;
/** Beyond this many decimal places of difference, arithmetic refuses to expand the value. */
const MAX_EXPANSION = 100_000;
/** Go's `strings.TrimSpace` set. */
const GO_SPACE =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

const BIG_POW10: bigint[] = [1n];
function pow10(n: number): bigint {
  if (n < 64) {
    while (BIG_POW10.length <= n) BIG_POW10.push(BIG_POW10[BIG_POW10.length - 1]! * 10n);
    return BIG_POW10[n]!;
  }
  if (n > MAX_EXPANSION) {
    throw new RangeError(`Cannot expand a quantity by 10^${n}: the value is too large`);
  }
  return 10n ** BigInt(n);
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/** Integer division rounding away from zero. */
function divAwayFromZero(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d === 0n ? q : n < 0n ? q - 1n : q + 1n;
}

function digitCount(n: bigint): number {
  return abs(n).toString().length;
}

interface Scanned {
  readonly positive: boolean;
  /** The signed number part as written (`"-1.5"`), `"0"` when only zeros were written. */
  readonly value: string;
  readonly num: string;
  readonly denom: string;
  readonly suffix: string;
}

/** Upstream's `parseQuantityString`: splits a quantity into sign, digits and suffix. */
function scan(str: string): Scanned {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === "-") {
    positive = false;
    pos++;
  } else if (str[0] === "+") {
    pos++;
  }
  while (pos < end && str[pos] === "0") pos++;
  if (pos >= end) return { positive, value: "0", num: "0", denom: "", suffix: "" };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  if (i >= end) return { positive, value: str, num: str.slice(pos), denom: "", suffix: "" };
  const num = str.slice(pos, i) || "0";
  pos = i;
  let denom = "";
  if (str[pos] === ".") {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, value: str, num, denom, suffix: "" };
    pos = i;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos]!)) pos++;
  if (pos >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
  if (str[pos] === "-" || str[pos] === "+") pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new SyntaxError(QUANTITY_FORMAT_ERROR);
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

interface Suffix {
  readonly base: 2 | 10;
  readonly exponent: number;
  readonly format: QuantityFormat;
}

/** Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits, int64 range. */
function parseGoInt64(s: string): bigint | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const n = BigInt(s);
  return n > MAX_INT64 || n < -MAX_INT64 - 1n ? null : n;
}

function interpretSuffix(suffix: string): Suffix | null {
  const dec = DECIMAL_SUFFIXES[suffix];
  if (dec !== undefined) return { base: 10, exponent: dec, format: "DecimalSI" };
  const bin = BINARY_SUFFIXES[suffix];
  if (bin !== undefined) return { base: 2, exponent: bin, format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E")) {
    const parsed = parseGoInt64(suffix.slice(1));
    if (parsed === null) return null;
    // Upstream keeps the exponent as an int32, wrapping larger values.
    return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: "DecimalExponent" };
  }
  return null;
}

/** Rounds `unscaled × 10^exponent` away from zero to nano precision. */
function roundToNano(unscaled: bigint, exponent: number): [bigint, number] {
  if (exponent >= NANO || unscaled === 0n) return [unscaled, exponent];
  const shift = NANO - exponent;
  if (shift > digitCount(unscaled)) return [unscaled < 0n ? -1n : 1n, NANO];
  return [divAwayFromZero(unscaled, pow10(shift)), NANO];
}

/** Strips factors of `base` from `n`, returning the rest and how many were removed. */
function removeFactors(n: bigint, base: bigint): [bigint, number] {
  let r = abs(n);
  let times = 0;
  while (r >= base && r % base === 0n) {
    r /= base;
    times++;
  }
  return [n < 0n ? -r : r, times];
}

/** Texts parsed into quantities, at most {@linkcode MAX_PARSED} (then it starts over). */
const PARSED = new Map<string, Quantity>();
const MAX_PARSED = 1024;

/** A Kubernetes `resource.Quantity`. Immutable: arithmetic returns new quantities. */
export class Quantity {
  /** The value is `#unscaled × 10^#exponent`. */
  readonly #unscaled: bigint;
  readonly #exponent: number;
  /** The canonical string, when known (the text as parsed, if it was already canonical). */
  #string: string | undefined;
  /** How the quantity is printed. */
  readonly format: QuantityFormat;

  /**
   * The quantity `value × 10^exponent`: `new Quantity(250n, { exponent: -3 })` is 250m.
   * Prefer {@linkcode Quantity.parse} for text.
   */
  constructor(value: bigint, options: QuantityOptions = {}) {
    this.#unscaled = value;
    this.#exponent = options.exponent ?? 0;
    this.format = options.format ?? "DecimalSI";
  }

  static #make(unscaled: bigint, exponent: number, format: QuantityFormat, text?: string) {
    const q = new Quantity(unscaled, { exponent, format });
    q.#string = text;
    return q;
  }

  /** Both values at the smaller exponent: `[a, b, exponent]`. */
  static #align(a: Quantity, b: Quantity): [bigint, bigint, number] {
    const ua = a.#unscaled, ea = a.#exponent, ub = b.#unscaled, eb = b.#exponent;
    if (ua === 0n) return [0n, ub, eb];
    if (ub === 0n) return [ua, 0n, ea];
    if (ea === eb) return [ua, ub, ea];
    return ea < eb ? [ua, ub * pow10(eb - ea), ea] : [ua * pow10(ea - eb), ub, eb];
  }

  /**
   * Parses `text` exactly as upstream's `ParseQuantity` (no surrounding whitespace).
   *
   * @throws {SyntaxError} with upstream's message when `text` is not a quantity.
   */
  static parse(text: string): Quantity {
    // Quantities never change: a text seen before (every pod's "100m", "64Mi", parsed by the
    // decoder, validation, defaulting and the QoS class) is parsed once.
    let q = PARSED.get(text);
    if (q === undefined) {
      q = Quantity.#parse(text);
      if (PARSED.size >= MAX_PARSED) PARSED.clear();
      PARSED.set(text, q);
    }
    return q;
  }

  static #parse(text: string): Quantity {
    if (text.length === 0) throw new SyntaxError(QUANTITY_FORMAT_ERROR);
    if (text === "0") return Quantity.#make(0n, 0, "DecimalSI", "0");
    const { positive, value, num, denom, suffix } = scan(text);
    const suf = interpretSuffix(suffix);
    if (suf === null) throw new SyntaxError(QUANTITY_SUFFIX_ERROR);

    // The fast path of upstream: small values stay int64 and keep their text when canonical.
    let precision: number;
    let scale: number;
    let mantissa = 1n;
    if (suf.format === "BinarySI") {
      scale = 0;
      if (denom.length === 0) {
        mantissa = 1n << BigInt(suf.exponent);
        precision = 15 - num.length - Math.trunc(suf.exponent * 3 / 10) - 1;
      } else {
        precision = -1;
      }
    } else {
      scale = suf.exponent;
      precision = MAX_INT64_FACTORS - (num.length + denom.length);
    }
    if (precision >= 0) {
      scale -= denom.length;
      if (scale >= NANO) {
        const shifted = num + denom;
        const digits = BigInt(shifted);
        const result = digits * mantissa;
        if (result <= MAX_INT64) {
          const signed = positive ? result : -result;
          let canonical: boolean;
          if (suf.format === "BinarySI") {
            canonical = suf.exponent % 10 === 0 && (digits & 7n) !== 0n;
          } else {
            canonical = scale % 3 === 0 && !shifted.endsWith("000") && shifted[0] !== "0";
          }
          return Quantity.#make(signed, scale, suf.format, canonical ? text : undefined);
        }
      }
    }

    // The slow path: arbitrary precision, rounded up to nano, binary values capped.
    if (!/[0-9]/.test(value)) throw new SyntaxError(QUANTITY_NUMERIC_ERROR);
    let unscaled = BigInt((num + denom).replace(/^0+(?=.)/, ""));
    let exponent = -denom.length;
    if (suf.base === 10) {
      exponent += suf.exponent;
    } else {
      unscaled <<= BigInt(suf.exponent);
    }
    [unscaled, exponent] = roundToNano(unscaled, exponent);
    let format = suf.format;
    if (format === "BinarySI") {
      const magnitude = Quantity.#make(unscaled, exponent, format);
      if (magnitude.#cmpInt(MAX_INT64) > 0) [unscaled, exponent] = [MAX_INT64, 0];
      if (unscaled !== 0n && magnitude.#cmpInt(1n) < 0) format = "DecimalSI";
    }
    return Quantity.#make(positive ? unscaled : -unscaled, exponent, format);
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than `other`. */
  cmp(other: Quantity): number {
    const a = this.#unscaled;
    const b = other.#unscaled;
    const sa = a === 0n ? 0 : a < 0n ? -1 : 1;
    const sb = b === 0n ? 0 : b < 0n ? -1 : 1;
    if (sa !== sb || sa === 0) return sa < sb ? -1 : sa > sb ? 1 : 0;
    // Same sign: compare magnitudes by order first, so huge exponents never expand.
    const ma = digitCount(a) + this.#exponent;
    const mb = digitCount(b) + other.#exponent;
    if (ma !== mb) return (ma > mb ? 1 : -1) * sa;
    const [x, y] = Quantity.#align(this, other);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  #cmpInt(n: bigint): number {
    return Quantity.#make(abs(this.#unscaled), this.#exponent, this.format).cmp(new Quantity(n));
  }

  /** This plus `other`; a zero quantity takes the format of `other`. */
  add(other: Quantity): Quantity {
    const [x, y, exponent] = Quantity.#align(this, other);
    return Quantity.#make(x + y, exponent, this.isZero() ? other.format : this.format);
  }

  /** This minus `other`; a zero quantity takes the format of `other`. */
  sub(other: Quantity): Quantity {
    const [x, y, exponent] = Quantity.#align(this, other);
    return Quantity.#make(x - y, exponent, this.isZero() ? other.format : this.format);
  }

  /** The negated quantity. */
  neg(): Quantity {
    return Quantity.#make(-this.#unscaled, this.#exponent, this.format);
  }

  /** `ceil(q × 1000)`, rounding away from zero (upstream's `MilliValue`, without overflow). */
  milliValue(): bigint {
    return this.#scaledValue(-3);
  }

  /** `ceil(q)`, rounding away from zero (upstream's `Value`, without overflow). */
  value(): bigint {
    return this.#scaledValue(0);
  }

  #scaledValue(scale: number): bigint {
    const dif = this.#exponent - scale;
    if (dif >= 0) return this.#unscaled * pow10(dif);
    if (-dif > digitCount(this.#unscaled)) {
      return this.#unscaled === 0n ? 0n : this.#unscaled < 0n ? -1n : 1n;
    }
    return divAwayFromZero(this.#unscaled, pow10(-dif));
  }

  /** Whether the value is zero. */
  isZero(): boolean {
    return this.#unscaled === 0n;
  }

  /** -1, 0 or 1 by the sign of the value. */
  sign(): number {
    return this.#unscaled === 0n ? 0 : this.#unscaled < 0n ? -1 : 1;
  }

  /** The canonical form, as upstream's `Quantity.String()`. */
  toString(): string {
    return this.#string ??= this.#canonical();
  }

  /** The canonical form (JSON encodes a quantity as its string). */
  toJSON(): string {
    return this.toString();
  }

  #canonical(): string {
    if (this.#unscaled === 0n) return "0";
    let format = this.format;
    let integer: bigint | undefined;
    if (format === "BinarySI") {
      const small = this.cmp(new Quantity(-1024n)) > 0 && this.cmp(new Quantity(1024n)) < 0;
      if (small || this.#exponent > MAX_EXPANSION) {
        format = "DecimalSI";
      } else if (this.#exponent >= 0) {
        integer = this.#unscaled * pow10(this.#exponent);
      } else {
        const d = pow10(-this.#exponent);
        if (this.#unscaled % d === 0n) integer = this.#unscaled / d;
        else format = "DecimalSI";
      }
    }
    if (format === "BinarySI" && integer !== undefined) {
      let [amount, power] = removeFactors(integer, 1024n);
      // Past "Ei" there is no suffix: keep the value exact rather than drop the magnitude.
      for (; power > 6; power--) amount *= 1024n;
      return `${amount}${BINARY_BY_POWER[power]}`;
    }
    const [stripped, times] = removeFactors(this.#unscaled, 10n);
    let exponent = this.#exponent + times;
    const down = ((exponent % 3) + 3) % 3;
    const amount = stripped * pow10(down);
    exponent -= down;
    if (format === "DecimalSI") {
      const suffix = DECIMAL_BY_EXPONENT.get(exponent);
      // Past "E" (and below "n") there is no suffix: fall back to exponent notation.
      if (suffix !== undefined) return `${amount}${suffix}`;
    }
    return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
  }
}

/**
 * The canonical text of a quantity as the API server stores it: a JSON string (trimmed, as
 * upstream's `UnmarshalJSON` does) or a JSON number.
 *
 * @throws {SyntaxError} with upstream's message when the value is not a quantity.
 */
export function canonicalQuantity(text: string | number): string {
  if (typeof text === "number") {
    if (!Number.isFinite(text)) throw new SyntaxError(QUANTITY_FORMAT_ERROR);
    // JavaScript prints exponents with a "+" ("1e+21"); JSON senders do not.
    return Quantity.parse(Object.is(text, -0) ? "0" : String(text).replace("e+", "e")).toString();
  }
  return Quantity.parse(text.replace(GO_SPACE, "")).toString();
}
