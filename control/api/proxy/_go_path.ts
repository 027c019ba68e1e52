/**
 * Slash-separated path arithmetic with the results of Go's `path.Clean` and `path.Join`, and
 * the URL path escaping of Go's `url.URL.EscapedPath`, which the proxy's rewriting rules are
 * written in terms of.
 *
 * @module
 */

/** Go's `path.Clean`: one slash between elements, no `.`, `..` resolved, no trailing slash. */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** Go's `path.Join`: the non-empty elements joined by slashes and cleaned; "" if all are empty. */
export function joinPath(...elems: string[]): string {
  const parts = elems.filter((e) => e !== "");
  return parts.length === 0 ? "" : cleanPath(parts.join("/"));
}

/**
 * Go's `JoinPreservingTrailingSlash` (apimachinery `util/net`): {@linkcode joinPath}, with the
 * trailing slash of the last non-empty element kept.
 */
export function joinPreservingTrailingSlash(...elems: string[]): string {
  const result = joinPath(...elems);
  const last = [...elems].reverse().find((e) => e !== "");
  if (last !== undefined && last.endsWith("/") && !result.endsWith("/")) return `${result}/`;
  return result;
}

const UNESCAPED_IN_PATH = /[A-Za-z0-9\-_.~$&+,/:;=@]/;

/** Go's `url.PathEscape`-like escaping of a decoded path (`escape(s, encodePath)`). */
export function escapePath(decoded: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(decoded)) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && UNESCAPED_IN_PATH.test(c)
      ? c
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const VALID_ENCODED = /^(?:[A-Za-z0-9\-_.~!$&'()*+,;=:@[\]/]|%[0-9A-Fa-f]{2})*$/;

/** Whether `raw` is an encoding Go keeps as it is (`validEncoded(s, encodePath)`). */
export function isValidEncodedPath(raw: string): boolean {
  return VALID_ENCODED.test(raw);
}

/**
 * Decodes `%XX` escapes of a path (Go's `unescape(s, encodePath)`).
 *
 * @throws {SyntaxError} `invalid URL escape "%zz"` for a malformed escape.
 */
export function unescapePath(raw: string): string {
  const bad = /%(?![0-9A-Fa-f]{2})(.{0,2})/s.exec(raw);
  if (bad) throw new SyntaxError(`invalid URL escape ${JSON.stringify(`%${bad[1]}`)}`);
  return raw.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
    }
    return new TextDecoder().decode(bytes);
  });
}
