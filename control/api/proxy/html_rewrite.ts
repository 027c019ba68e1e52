/**
 * Rewrites the URL-valued attributes of an HTML page a backend served through the proxy
 * (`<a href>`, `<img src>`, `<form action>`, …: the tag and attribute set of upstream's proxy
 * transport), so that a page's own links lead back through the API server.
 *
 * The page is scanned as an HTML tokenizer would: start tags and their attributes (quoted or
 * not, names case-insensitive, character references decoded), with comments, doctypes, end
 * tags and the raw text of `script`, `style`, `textarea`, `title` and the like passed by. Only
 * the values that change are written anew (double-quoted, escaped); every other byte of the
 * page is kept as it was. A value that is not a valid URL is left alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewriteHtmlUrls } from "./html_rewrite.ts";
 *
 * const page = `<a href="/docs">docs</a> <a href="http://elsewhere/">x</a>`;
 * const out = rewriteHtmlUrls(page, (url) => url.startsWith("/") ? `/proxy${url}` : url);
 * assert.equal(out, `<a href="/proxy/docs">docs</a> <a href="http://elsewhere/">x</a>`);
 * ```
 *
 * @module
 */

/** Which attributes of which tags hold URLs (upstream's `atomsToAttrs`). */
export const URL_ATTRIBUTES: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    a: ["href"],
    applet: ["codebase"],
    area: ["href"],
    audio: ["src"],
    base: ["href"],
    blockquote: ["cite"],
    body: ["background"],
    button: ["formaction"],
    command: ["icon"],
    del: ["cite"],
    embed: ["src"],
    form: ["action"],
    frame: ["longdesc", "src"],
    head: ["profile"],
    html: ["manifest"],
    iframe: ["longdesc", "src"],
    img: ["longdesc", "src", "usemap"],
    input: ["src", "usemap", "formaction"],
    ins: ["cite"],
    link: ["href"],
    object: ["classid", "codebase", "data", "usemap"],
    q: ["cite"],
    script: ["src"],
    source: ["src"],
    video: ["poster", "src"],
  }).map(([tag, attrs]) => [tag, new Set(attrs)]),
);

/** Elements whose content is raw text up to their end tag. */
const RAW_TEXT = new Set([
  "iframe",
  "noembed",
  "noframes",
  "noscript",
  "plaintext",
  "script",
  "style",
  "textarea",
  "title",
  "xmp",
]);

const NAMED: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
};

/** Decodes the character references of an attribute value (numeric ones and the usual names). */
export function decodeCharacterReferences(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z]+);?/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code = ref[1] === "x" || ref[1] === "X"
        ? parseInt(ref.slice(2), 16)
        : parseInt(ref.slice(1), 10);
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff) return "\ufffd";
      return String.fromCodePoint(code);
    }
    return NAMED[ref] ?? whole;
  });
}

/** Escapes an attribute value as Go's HTML writer does. */
function escapeValue(text: string): string {
  return text.replace(
    /[&'<>"\r]/g,
    (c) =>
      ({ "&": "&amp;", "'": "&#39;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "\r": "&#13;" })[c]!,
  );
}

const SPACE = /[\t\n\f\r ]/;

/** One attribute value's place in the page. */
interface ValueSpan {
  readonly name: string;
  /** Where the value starts and ends, quotes included. */
  readonly start: number;
  readonly end: number;
  /** The value, quotes stripped, references not decoded. */
  readonly raw: string;
}

/** Reads a start tag's attributes from `from` (after the name); returns where the tag ends. */
function readAttributes(html: string, from: number, spans: ValueSpan[]): number {
  let i = from;
  const n = html.length;
  while (i < n) {
    while (i < n && (SPACE.test(html[i]!) || html[i] === "/")) i++;
    if (i >= n) return n;
    if (html[i] === ">") return i + 1;
    const nameStart = i;
    i++; // the first character may be "=" and still start a name
    while (
      i < n && !SPACE.test(html[i]!) && html[i] !== "/" && html[i] !== ">" && html[i] !== "="
    ) {
      i++;
    }
    const name = html.slice(nameStart, i).toLowerCase();
    let j = i;
    while (j < n && SPACE.test(html[j]!)) j++;
    if (html[j] !== "=") continue;
    j++;
    while (j < n && SPACE.test(html[j]!)) j++;
    const quote = html[j];
    if (quote === '"' || quote === "'") {
      const close = html.indexOf(quote, j + 1);
      const end = close < 0 ? n : close + 1;
      spans.push({ name, start: j, end, raw: html.slice(j + 1, close < 0 ? n : close) });
      i = end;
    } else {
      let k = j;
      while (k < n && !SPACE.test(html[k]!) && html[k] !== ">") k++;
      spans.push({ name, start: j, end: k, raw: html.slice(j, k) });
      i = k;
    }
  }
  return n;
}

/**
 * `html` with the URL attributes rewritten by `rewrite` (see the module doc). `rewrite` gets a
 * value with its character references decoded and may throw to leave it as it is.
 */
export function rewriteHtmlUrls(html: string, rewrite: (url: string) => string): string {
  const out: string[] = [];
  let copied = 0;
  let i = 0;
  const n = html.length;
  while (i < n) {
    const lt = html.indexOf("<", i);
    if (lt < 0) break;
    if (html.startsWith("<!--", lt)) {
      const end = html.indexOf("-->", lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    const next = html[lt + 1] ?? "";
    if (next === "!" || next === "?" || next === "/") {
      const end = html.indexOf(">", lt + 2);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(next)) {
      i = lt + 1;
      continue;
    }
    let j = lt + 1;
    while (j < n && !SPACE.test(html[j]!) && html[j] !== "/" && html[j] !== ">") j++;
    const tag = html.slice(lt + 1, j).toLowerCase();
    const spans: ValueSpan[] = [];
    const tagEnd = readAttributes(html, j, spans);
    const attrs = URL_ATTRIBUTES.get(tag);
    if (attrs) {
      for (const span of spans) {
        if (!attrs.has(span.name)) continue;
        const value = decodeCharacterReferences(span.raw);
        let rewritten: string;
        try {
          rewritten = rewrite(value);
        } catch {
          continue;
        }
        if (rewritten === value) continue;
        out.push(html.slice(copied, span.start), `"${escapeValue(rewritten)}"`);
        copied = span.end;
      }
    }
    i = tagEnd;
    if (RAW_TEXT.has(tag)) {
      if (tag === "plaintext") break;
      const close = new RegExp(`</${tag}[\\t\\n\\f\\r />]`, "gi");
      close.lastIndex = i;
      const found = close.exec(html);
      i = found ? found.index : n;
    }
  }
  out.push(html.slice(copied));
  return out.join("");
}
