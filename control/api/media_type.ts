/**
 * Media types as the API server reads them: `Accept` media ranges with their parameters and
 * q-values, and `Content-Type`, parsed properly (RFC 9110) — never by substring, because the
 * parameters decide what a client gets (`as=Table`, `g=apidiscovery.k8s.io;v=v2`) and a wrong
 * guess leaves kubectl 1.27 finding no resources at all.
 *
 * @example Negotiate a Table
 * ```ts
 * import assert from "node:assert/strict";
 * import { negotiateOutput, parseAccept } from "./media_type.ts";
 *
 * const accept = parseAccept(
 *   "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
 * );
 * assert.deepEqual(negotiateOutput(accept), { format: "table", version: "v1" });
 * ```
 *
 * @module
 */

/** One media type with its parameters (names lowercased). */
export interface MediaType {
  readonly type: string;
  readonly subtype: string;
  readonly params: Readonly<Record<string, string>>;
}

/** One media range of an `Accept` header. */
export interface MediaRange extends MediaType {
  /** The q-value, 0–1 (1 when absent). */
  readonly q: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Splits on `sep` outside double-quoted strings. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && quoted) {
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === sep && !quoted) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return value;
}

/** Parses one media type (`type/subtype;k=v;…`); returns null when it is malformed. */
export function parseMediaType(text: string): MediaType | null {
  const [full = "", ...rawParams] = splitOutsideQuotes(text, ";");
  const slash = full.indexOf("/");
  if (slash < 0) return null;
  const type = full.slice(0, slash).trim().toLowerCase();
  const subtype = full.slice(slash + 1).trim().toLowerCase();
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return null;
  const params: Record<string, string> = {};
  for (const raw of rawParams) {
    const p = raw.trim();
    if (p === "") continue;
    const eq = p.indexOf("=");
    if (eq <= 0) return null;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = unquote(p.slice(eq + 1).trim());
    if (!TOKEN.test(name)) return null;
    params[name] = value;
  }
  return { type, subtype, params };
}

/**
 * Parses an `Accept` header into media ranges, highest q first (stable for equal q). Malformed
 * ranges are skipped; an absent or empty header means `*\/*`.
 */
export function parseAccept(header: string | null | undefined): MediaRange[] {
  if (header === null || header === undefined || header.trim() === "") {
    return [{ type: "*", subtype: "*", params: {}, q: 1 }];
  }
  const ranges: MediaRange[] = [];
  for (const part of splitOutsideQuotes(header, ",")) {
    if (part.trim() === "") continue;
    const mt = parseMediaType(part);
    if (!mt) continue;
    const { q: qText, ...params } = mt.params;
    let q = 1;
    if (qText !== undefined) {
      q = Number(qText);
      if (!Number.isFinite(q) || q < 0 || q > 1) continue;
    }
    if (q === 0) continue;
    ranges.push({ type: mt.type, subtype: mt.subtype, params, q });
  }
  return ranges
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.q - a.r.q || a.i - b.i)
    .map(({ r }) => r);
}

function isJsonRange(r: MediaType): boolean {
  return (r.type === "application" && r.subtype === "json") ||
    (r.type === "application" && r.subtype === "*") || (r.type === "*" && r.subtype === "*");
}

/** What a resource response is rendered as. */
export type OutputFormat =
  | { readonly format: "json" }
  | { readonly format: "yaml" }
  | { readonly format: "table"; readonly version: "v1" | "v1beta1" }
  | {
    readonly format: "partial";
    readonly version: "v1" | "v1beta1";
    /** `PartialObjectMetadataList` was asked for (lists). */
    readonly list: boolean;
  };

const META_VERSIONS = new Set(["v1", "v1beta1"]);

/**
 * Picks the response format for a resource request from the client's media ranges, in the
 * client's order of preference; returns null when nothing acceptable is offered (406).
 * Protobuf and CBOR are not produced: a client listing them first gets the next acceptable type.
 */
export function negotiateOutput(accept: readonly MediaRange[]): OutputFormat | null {
  for (const r of accept) {
    if (r.type === "application" && (r.subtype === "yaml" || r.subtype === "x-yaml")) {
      return { format: "yaml" };
    }
    if (!isJsonRange(r)) continue;
    const as = r.params["as"];
    if (as === undefined) return { format: "json" };
    if (r.params["g"] !== "meta.k8s.io" || !META_VERSIONS.has(r.params["v"] ?? "")) continue;
    const version = r.params["v"] as "v1" | "v1beta1";
    if (as === "Table") return { format: "table", version };
    if (as === "PartialObjectMetadata" || as === "PartialObjectMetadataList") {
      return { format: "partial", version, list: as === "PartialObjectMetadataList" };
    }
  }
  return null;
}

/** What a discovery (`/api`, `/apis`) response is rendered as. */
export type DiscoveryFormat = "v2" | "v2beta1" | "legacy";

/**
 * Picks aggregated discovery (`apidiscovery.k8s.io` v2 or v2beta1) only when the client lists
 * exactly that; else the legacy documents. Null when nothing acceptable is offered.
 */
export function negotiateDiscovery(accept: readonly MediaRange[]): DiscoveryFormat | null {
  for (const r of accept) {
    if (!isJsonRange(r)) continue;
    const as = r.params["as"];
    if (as === undefined) return "legacy";
    if (as !== "APIGroupDiscoveryList" || r.params["g"] !== "apidiscovery.k8s.io") continue;
    const v = r.params["v"];
    if (v === "v2" || v === "v2beta1") return v;
  }
  return null;
}

/** The request body formats the API server decodes. */
export type BodyFormat = "json" | "yaml" | "protobuf";

/** The body format of a `Content-Type`, or null when unsupported (415). */
export function bodyFormat(contentType: string | null | undefined): BodyFormat | null {
  if (!contentType) return "json";
  const mt = parseMediaType(contentType);
  if (!mt || mt.type !== "application") return null;
  switch (mt.subtype) {
    case "json":
      return "json";
    case "yaml":
    case "x-yaml":
      return "yaml";
    case "vnd.kubernetes.protobuf":
      return "protobuf";
    default:
      return null;
  }
}
