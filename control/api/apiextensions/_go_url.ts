/**
 * URLs read as Go's `net/url` reads them, for the Kubernetes CEL `url` library and the `uri`
 * format: `ParseRequestURI` (an absolute URI or an absolute path, no fragment split) decides
 * what is valid, `Parse` what the parts are; errors carry Go's texts
 * (`parse "https://a:b:c/": invalid port ":c" after host`).
 *
 * @module
 */

/** The parts of a parsed URL, as `url.URL` holds them. */
export interface GoUrl {
  /** Lowercased. */
  readonly scheme: string;
  readonly opaque: string;
  /** Unescaped, with the port, IPv6 literals in brackets. */
  readonly host: string;
  /** Unescaped. */
  readonly path: string;
  /** The path as written (for {@linkcode escapedPath}). */
  readonly rawPath: string;
  readonly rawQuery: string;
}

type Mode = "path" | "host" | "query";

function isAlnum(c: string): boolean {
  return /^[A-Za-z0-9]$/.test(c);
}

/** Go's `shouldEscape` for the modes used here. */
function shouldEscape(c: string, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  if (mode === "host" && "!$&'()*+,;=:[]<>\"".includes(c)) return false;
  if ("-_.~".includes(c)) return false;
  if ("$&+,/:;=?@".includes(c)) {
    if (mode === "path") return c === "?";
    return true;
  }
  return true;
}

function escapeError(s: string): Error {
  return new SyntaxError(`invalid URL escape ${JSON.stringify(s.slice(0, 3))}`);
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/** Go's `unescape`: `%XX` decoding (and `+` as a space in a query), with its errors. */
function unescape(s: string, mode: Mode): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "%") {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) throw escapeError(s.slice(i));
      const v = parseInt(s.slice(i + 1, i + 3), 16);
      if (mode === "host" && v < 0x80 && s.slice(i, i + 3) !== "%25") {
        throw escapeError(s.slice(i));
      }
      bytes.push(v);
      i += 2;
    } else if (c === "+" && mode === "query") {
      bytes.push(0x20);
    } else {
      if (mode === "host" && c.charCodeAt(0) < 0x80 && shouldEscape(c, mode)) {
        throw new SyntaxError(`invalid character ${JSON.stringify(c)} in host name`);
      }
      bytes.push(...enc.encode(c));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Go's `escape` in path mode: bytes to escape as `%XX` (upper-case hex). */
function escapePath(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && !shouldEscape(c, "path")
      ? c
      : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function validEncodedPath(s: string): boolean {
  for (const c of s) {
    if ("!$&'()*+,;=:@[]%".includes(c)) continue;
    if (c.charCodeAt(0) >= 0x80 || shouldEscape(c, "path")) return false;
  }
  return true;
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:\d*$/.test(port);
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const end = host.lastIndexOf("]");
    if (end < 0) throw new SyntaxError("missing ']' in host");
    const colonPort = host.slice(end + 1);
    if (!validOptionalPort(colonPort)) {
      throw new SyntaxError(`invalid port ${JSON.stringify(colonPort)} after host`);
    }
  } else {
    const colon = host.lastIndexOf(":");
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) {
      throw new SyntaxError(`invalid port ${JSON.stringify(host.slice(colon))} after host`);
    }
  }
  return unescape(host, "host");
}

function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

function parseAuthority(authority: string): string {
  const at = authority.lastIndexOf("@");
  if (at < 0) return parseHost(authority);
  if (!validUserinfo(authority.slice(0, at))) {
    throw new SyntaxError("net/url: invalid userinfo");
  }
  return parseHost(authority.slice(at + 1));
}

/** Go's `getScheme`. */
function splitScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ["", raw];
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new SyntaxError("missing protocol scheme");
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ["", raw];
  }
  return ["", raw];
}

function parse(raw: string, viaRequest: boolean): GoUrl {
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw new SyntaxError("net/url: invalid control character in URL");
  }
  if (raw === "" && viaRequest) throw new SyntaxError("empty url");
  const empty = { scheme: "", opaque: "", host: "", path: "", rawPath: "", rawQuery: "" };
  if (raw === "*") return { ...empty, path: "*", rawPath: "*" };
  const [schemeText, afterScheme] = splitScheme(raw);
  const scheme = schemeText.toLowerCase();
  let rest = afterScheme;
  let rawQuery = "";
  if (rest.endsWith("?") && rest.split("?").length === 2) {
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (scheme !== "") return { ...empty, scheme, opaque: rest, rawQuery };
    if (viaRequest) throw new SyntaxError("invalid URI for request");
    const colon = rest.indexOf(":");
    const slash = rest.indexOf("/");
    if (colon >= 0 && (slash < 0 || colon < slash)) {
      throw new SyntaxError("first path segment in URL cannot contain colon");
    }
  }
  let host = "";
  if (
    (scheme !== "" || (!viaRequest && !rest.startsWith("///"))) && rest.startsWith("//")
  ) {
    const slash = rest.indexOf("/", 2);
    const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? "" : rest.slice(slash);
    host = parseAuthority(authority);
  }
  return { ...empty, scheme, host, path: unescape(rest, "path"), rawPath: rest, rawQuery };
}

function urlError(raw: string, err: unknown): Error {
  return new SyntaxError(`parse ${JSON.stringify(raw)}: ${(err as Error).message}`);
}

/** Go's `url.ParseRequestURI`: throws `parse "<raw>": <reason>`. */
export function parseRequestUri(raw: string): GoUrl {
  try {
    return parse(raw, true);
  } catch (err) {
    throw urlError(raw, err);
  }
}

/** Go's `url.Parse` (the fragment split off first). */
export function parseUrl(raw: string): GoUrl {
  const hash = raw.indexOf("#");
  const text = hash < 0 ? raw : raw.slice(0, hash);
  try {
    return parse(text, false);
  } catch (err) {
    throw urlError(text, err);
  }
}

/** `URL.Hostname()`: the host without its port, IPv6 literals without brackets. */
export function hostname(u: GoUrl): string {
  let host = u.host;
  const colon = host.lastIndexOf(":");
  if (colon >= 0 && validOptionalPort(host.slice(colon))) host = host.slice(0, colon);
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** `URL.Port()`: the port, or `""`. */
export function port(u: GoUrl): string {
  const colon = u.host.lastIndexOf(":");
  return colon >= 0 && validOptionalPort(u.host.slice(colon)) ? u.host.slice(colon + 1) : "";
}

/** `URL.EscapedPath()`. */
export function escapedPath(u: GoUrl): string {
  if (u.rawPath !== "" && validEncodedPath(u.rawPath)) return u.rawPath;
  if (u.path === "*") return "*";
  return escapePath(u.path);
}

/** `URL.Query()`: values by key, unescaped; malformed pairs are skipped as Go skips them. */
export function query(u: GoUrl): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const pair of u.rawQuery.split("&")) {
    if (pair === "" || pair.includes(";")) continue;
    const eq = pair.indexOf("=");
    let key: string;
    let value: string;
    try {
      key = unescape(eq < 0 ? pair : pair.slice(0, eq), "query");
      value = unescape(eq < 0 ? "" : pair.slice(eq + 1), "query");
    } catch {
      continue;
    }
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}
