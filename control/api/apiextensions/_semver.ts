/**
 * Semantic versions as `github.com/blang/semver/v4` parses and orders them, for the Kubernetes
 * CEL `semver` library: `MAJOR.MINOR.PATCH[-prerelease][+build]`, no leading zeros, with its
 * error texts; and upstream's optional normalization (`v` prefix, missing parts, zeros).
 *
 * @module
 */

/** A parsed version. */
export interface Semver {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  /** Prerelease identifiers: numbers as bigint, others as strings. */
  readonly pre: readonly (bigint | string)[];
  readonly build: readonly string[];
}

const NUMBERS = /^[0-9]*$/;
const ALPHANUM = /^[0-9A-Za-z-]*$/;

function leadingZero(s: string): boolean {
  return s.length > 1 && s[0] === "0";
}

function number(s: string, name: string): bigint {
  if (!NUMBERS.test(s)) {
    throw new SyntaxError(`Invalid character(s) found in ${name} number ${JSON.stringify(s)}`);
  }
  if (leadingZero(s)) {
    const title = name.charAt(0).toUpperCase() + name.slice(1);
    throw new SyntaxError(`${title} number must not contain leading zeroes ${JSON.stringify(s)}`);
  }
  if (s === "") throw new SyntaxError(`strconv.ParseUint: parsing "": invalid syntax`);
  return BigInt(s);
}

function preVersion(s: string): bigint | string {
  if (s === "") throw new SyntaxError("Prerelease is empty");
  if (NUMBERS.test(s)) {
    if (leadingZero(s)) {
      throw new SyntaxError(
        `Numeric PreRelease version must not contain leading zeroes ${JSON.stringify(s)}`,
      );
    }
    return BigInt(s);
  }
  if (!ALPHANUM.test(s)) {
    throw new SyntaxError(`Invalid character(s) found in prerelease ${JSON.stringify(s)}`);
  }
  return s;
}

/** blang/semver's `Parse`; throws a `SyntaxError` with its text. */
export function parseSemver(s: string): Semver {
  if (s === "") throw new SyntaxError("Version string empty");
  const first = s.indexOf(".");
  const second = first < 0 ? -1 : s.indexOf(".", first + 1);
  if (second < 0) throw new SyntaxError("No Major.Minor.Patch elements found");
  const major = number(s.slice(0, first), "major");
  const minor = number(s.slice(first + 1, second), "minor");
  const rest = s.slice(second + 1);
  const preAt = rest.indexOf("-");
  const buildAt = rest.indexOf("+");
  const cut = [preAt, buildAt].filter((i) => i >= 0);
  const end = cut.length > 0 ? Math.min(...cut) : rest.length;
  const patch = number(rest.slice(0, end), "patch");
  let pre: (bigint | string)[] = [];
  if (preAt >= 0 && (buildAt < 0 || preAt < buildAt)) {
    pre = rest.slice(preAt + 1, buildAt < 0 ? rest.length : buildAt).split(".").map(preVersion);
  }
  let build: string[] = [];
  if (buildAt >= 0) {
    build = rest.slice(buildAt + 1).split(".");
    for (const b of build) {
      if (b === "") throw new SyntaxError("Buildversion is empty");
      if (!ALPHANUM.test(b)) {
        throw new SyntaxError(`Invalid character(s) found in build meta data ${JSON.stringify(b)}`);
      }
    }
  }
  return { major, minor, patch, pre, build };
}

/**
 * Upstream's normalization before parsing: drop a `v` prefix, leading zeros of each part, and
 * fill a missing minor or patch with 0.
 */
export function parseSemverNormalized(input: string): Semver {
  const s = input.startsWith("v") ? input.slice(1) : input;
  const parts: string[] = [];
  let rest = s;
  for (let i = 0; i < 2; i++) {
    const dot = rest.indexOf(".");
    if (dot < 0) break;
    parts.push(rest.slice(0, dot));
    rest = rest.slice(dot + 1);
  }
  parts.push(rest);
  for (let i = 0; i < parts.length; i++) {
    let p = parts[i]!;
    if (p.length > 1) {
      p = p.replace(/^0+/, "");
      if (p === "" || !/^[0-9]/.test(p)) p = `0${p}`;
      parts[i] = p;
    }
  }
  if (parts.length < 3) {
    if (/[+-]/.test(parts[parts.length - 1]!)) {
      throw new SyntaxError("short version cannot contain PreRelease/Build meta data");
    }
    while (parts.length < 3) parts.push("0");
  }
  return parseSemver(parts.join("."));
}

function cmp(a: bigint | string, b: bigint | string): number {
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "bigint") return -1;
  if (typeof b === "bigint") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Semver precedence: -1, 0 or 1 (build metadata ignored). */
export function compareSemver(a: Semver, b: Semver): number {
  for (const k of ["major", "minor", "patch"] as const) {
    const c = cmp(a[k], b[k]);
    if (c !== 0) return c;
  }
  if (a.pre.length === 0 && b.pre.length === 0) return 0;
  if (a.pre.length === 0) return 1;
  if (b.pre.length === 0) return -1;
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const c = cmp(a.pre[i]!, b.pre[i]!);
    if (c !== 0) return c;
  }
  return a.pre.length === b.pre.length ? 0 : a.pre.length < b.pre.length ? -1 : 1;
}

/** The version's text. */
export function semverString(v: Semver): string {
  const pre = v.pre.length ? `-${v.pre.join(".")}` : "";
  const build = v.build.length ? `+${v.build.join(".")}` : "";
  return `${v.major}.${v.minor}.${v.patch}${pre}${build}`;
}
