/**
 * How the proxy rewrites URLs a backend hands out — its `Location` header and the links of
 * its HTML pages — so that they lead back through the API server, as upstream's proxy
 * transport does (`rewriteURL`):
 *
 * - a relative reference (`login`, `../x`, `?page=2`) or a URL on another host stays as it is;
 * - an absolute path, or a URL on the backend's own host (or on the host the client asked,
 *   the request's `Host`), gets the proxy's prefix (`/api/v1/namespaces/default/pods/web:8080/proxy`)
 *   put before its path, keeping a trailing slash, unless its path starts with the prefix
 *   already; its scheme and host become the proxy's own (none: a path on the API server),
 *   except that a URL already naming the request's host keeps them.
 *
 * URLs are read the way Go's `url.Parse` reads them (a malformed escape is an error).
 *
 * @example A redirect to the backend's login page
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewriteProxyUrl } from "./proxy_url_rewrite.ts";
 *
 * const context = {
 *   pathPrepend: "/api/v1/namespaces/default/pods/web:8080/proxy",
 *   backendHost: "10.42.0.5:8080",
 *   requestHost: "127.0.0.1:6443",
 * };
 * assert.equal(
 *   rewriteProxyUrl("http://10.42.0.5:8080/login?next=%2F", context),
 *   "/api/v1/namespaces/default/pods/web:8080/proxy/login?next=%2F",
 * );
 * ```
 *
 * @module
 */
import { escapePath, isValidEncodedPath, joinPath, unescapePath } from "./_go_path.ts";

/** A URL reference in the parts Go's `url.URL` has. */
export interface ParsedUrl {
  /** Lowercased; "" for a reference without one. */
  scheme: string;
  /** What follows `scheme:` when it is not a path (`mailto:x`). */
  readonly opaque: string;
  /** The user info before `@`, as written; null without one. */
  readonly userinfo: string | null;
  host: string;
  /** `scheme:/path`: a scheme and a path, no authority. */
  readonly omitHost: boolean;
  /** The path, decoded. */
  path: string;
  /** The path as written. */
  readonly rawPath: string;
  /** After `?`; null without a `?`. */
  readonly query: string | null;
  /** After `#`; null without a `#`. */
  readonly fragment: string | null;
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function schemeOf(raw: string): { scheme: string; rest: string } {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: "", rest: raw };
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new SyntaxError("missing protocol scheme");
      return { scheme: raw.slice(0, i).toLowerCase(), rest: raw.slice(i + 1) };
    }
    break;
  }
  return { scheme: "", rest: raw };
}

/**
 * Reads a URL reference as Go's `url.Parse` does.
 *
 * @throws {SyntaxError} with Go's wording after `parse "…": `.
 */
export function parseUrl(raw: string): ParsedUrl {
  const fail = (why: string) => new SyntaxError(`parse ${JSON.stringify(raw)}: ${why}`);
  const hash = raw.indexOf("#");
  const fragment = hash < 0 ? null : raw.slice(hash + 1);
  const text = hash < 0 ? raw : raw.slice(0, hash);
  if (CONTROL.test(text)) throw fail("net/url: invalid control character in URL");
  let scheme: string;
  let rest: string;
  try {
    ({ scheme, rest } = schemeOf(text));
  } catch (err) {
    throw fail((err as Error).message);
  }
  let query: string | null = null;
  const q = rest.indexOf("?");
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const base = { scheme, userinfo: null, host: "", omitHost: false, query, fragment };
  if (!rest.startsWith("/")) {
    if (scheme !== "") return { ...base, opaque: rest, path: "", rawPath: "" };
    if ((rest.split("/")[0] ?? "").includes(":")) {
      throw fail("first path segment in URL cannot contain colon");
    }
  }
  let userinfo: string | null = null;
  let host = "";
  let omitHost = false;
  if ((scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
    let authority = rest.slice(2);
    const slash = authority.indexOf("/");
    rest = slash < 0 ? "" : authority.slice(slash);
    authority = slash < 0 ? authority : authority.slice(0, slash);
    const at = authority.lastIndexOf("@");
    if (at >= 0) {
      userinfo = authority.slice(0, at);
      authority = authority.slice(at + 1);
    }
    const hostPart = authority.startsWith("[") ? authority.replace(/^\[[^\]]*\]/, "") : authority;
    const colon = hostPart.lastIndexOf(":");
    if (colon >= 0 && !/^\d*$/.test(hostPart.slice(colon + 1))) {
      throw fail(`invalid port ${JSON.stringify(hostPart.slice(colon))} after host`);
    }
    host = authority;
  } else if (scheme !== "" && rest.startsWith("/")) {
    omitHost = true;
  }
  let path: string;
  try {
    path = unescapePath(rest);
  } catch (err) {
    throw fail((err as Error).message);
  }
  return { ...base, opaque: "", userinfo, host, omitHost, path, rawPath: rest };
}

/** Writes a URL back as Go's `URL.String` does. */
export function formatUrl(url: ParsedUrl): string {
  let out = url.scheme === "" ? "" : `${url.scheme}:`;
  if (url.opaque !== "") {
    out += url.opaque;
  } else {
    const omit = url.omitHost && url.host === "" && url.userinfo === null;
    if (!omit && (url.scheme !== "" || url.host !== "" || url.userinfo !== null)) {
      if (url.host !== "" || url.path !== "" || url.userinfo !== null) out += "//";
      if (url.userinfo !== null) out += `${url.userinfo}@`;
      out += url.host;
    }
    const path = url.rawPath !== "" && isValidEncodedPath(url.rawPath) &&
        safeUnescape(url.rawPath) === url.path
      ? url.rawPath
      : escapePath(url.path);
    if (path !== "" && !path.startsWith("/") && url.host !== "") out += "/";
    if (out === "" && (path.split("/")[0] ?? "").includes(":")) out += "./";
    out += path;
  }
  if (url.query !== null) out += `?${url.query}`;
  if (url.fragment !== null && url.fragment !== "") out += `#${url.fragment}`;
  return out;
}

function safeUnescape(raw: string): string | null {
  try {
    return unescapePath(raw);
  } catch {
    return null;
  }
}

/** What a rewrite needs to know of the request. */
export interface ProxyUrlContext {
  /** The part of the request's path before the backend's (decoded). */
  readonly pathPrepend: string;
  /** The backend's URL authority (`10.42.0.5:8080`). */
  readonly backendHost: string;
  /** The `Host` the client asked the API server for. */
  readonly requestHost: string;
  /** The scheme clients reach the proxy at; "" as in kube-apiserver. @default {""} */
  readonly scheme?: string;
  /** The host clients reach the proxy at; "" as in kube-apiserver. @default {""} */
  readonly host?: string;
}

/**
 * `url` rewritten to go through the proxy (see the module doc).
 *
 * @throws {SyntaxError} when `url` does not parse.
 */
export function rewriteProxyUrl(url: string, context: ProxyUrlContext): string {
  const parsed = parseUrl(url);
  const differentHost = parsed.host !== "" && parsed.host !== context.backendHost &&
    parsed.host !== context.requestHost;
  if (differentHost || !parsed.path.startsWith("/")) return formatUrl(parsed);
  const scheme = context.scheme ?? "";
  const host = context.host ?? "";
  if (!(parsed.host === context.requestHost && scheme === "" && host === "")) {
    parsed.scheme = scheme;
    parsed.host = host;
  }
  if (parsed.path.startsWith(context.pathPrepend)) return formatUrl(parsed);
  const original = parsed.path;
  parsed.path = joinPath(context.pathPrepend, parsed.path);
  if (original.endsWith("/")) parsed.path += "/";
  return formatUrl(parsed);
}
